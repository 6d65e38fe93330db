package gocore

import (
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-delve/delve/pkg/goversion"
)

//go:generate go test -run TestLayoutTables -update-layouts

// versionLayout is one Go version's runtime layout on amd64, for
// executables built without DWARF or symbols (-ldflags=-s -w): the
// struct fields and sizes loadLayout reads from the DWARF of an
// unstripped build of that version, and where the runtime's code refers
// to each variable the census starts from (runtimevars.go). The tables
// (layouts.json, embedded by layout_json.go) are generated from fresh
// builds by each toolchain, and the tests check them against fresh
// builds.
type versionLayout struct {
	fields map[string]map[string]int64
	sizes  map[string]int64
	vars   map[string]varRef
}

// errNoLayoutTable reports a stripped executable whose Go version or
// architecture has no layout table.
var errNoLayoutTable = errors.New("no runtime layout table")

// runtimeFuncSyms are the wantSyms that are functions, which the pclntab
// names directly.
var runtimeFuncSyms = []string{"runtime.throw.func1", "runtime.fatal.func1"}

// supportedLayouts names the Go versions with a layout table.
func supportedLayouts() string {
	var vs []string
	for v := range versionLayouts() {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return strings.Join(vs, ", ")
}

// layoutKey is the table key of a Go version: its major and minor
// release (point releases fix bugs and keep the runtime's layout).
func layoutKey(goVersion string) (string, bool) {
	v, ok := goversion.Parse(goVersion)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("go%d.%d", v.Major, v.Minor), true
}

// tableLayout builds the layout of a stripped executable from its Go
// version's table, finding the runtime's variables from its code. It
// refuses (errNoLayoutTable) another version, another architecture, or a
// build with a GOEXPERIMENT, which may change the runtime's structs.
func tableLayout(ef *elf.File, exePath string) (l *layout, err error) {
	defer func() {
		// debug/gosym trusts the pclntab in places: a damaged one is an
		// unreadable executable, not a crash.
		if r := recover(); r != nil {
			l, err = nil, fmt.Errorf("executable %s: unreadable pclntab: %v", exePath, r)
		}
	}()
	bi, err := buildinfo.ReadFile(exePath)
	if err != nil {
		return nil, fmt.Errorf("executable %s: %w", exePath, err)
	}
	key, _ := layoutKey(bi.GoVersion)
	vl := versionLayouts()[key]
	why := ""
	switch {
	case ef.Machine != elf.EM_X86_64:
		why = fmt.Sprintf("built for %v", ef.Machine)
	case vl == nil:
		why = "built with " + bi.GoVersion
	}
	for _, s := range bi.Settings {
		if s.Key == "GOEXPERIMENT" && s.Value != "" {
			why = "built with GOEXPERIMENT=" + s.Value
		}
	}
	if why != "" {
		return nil, fmt.Errorf("executable %s is %s: %w (coroner has them for %s on amd64); attach the unstripped executable, or a debug twin with --debug-binary", exePath, why, errNoLayoutTable, supportedLayouts())
	}
	syms, err := runtimeVars(ef, vl.vars, runtimeFuncSyms)
	if err != nil {
		return nil, fmt.Errorf("executable %s (%s): %w", exePath, bi.GoVersion, err)
	}
	// Found from code, variables come without the sizes a symbol table
	// gives; the semaphore walk needs the table's. runtime/sema.go pads
	// each of its semTabSize roots to cpu.CacheLinePadSize, 64 on amd64,
	// the one architecture the tables cover.
	if s, ok := syms["runtime.semtable"]; ok && s.Size == 0 {
		s.Size = semTabSize * amd64CacheLinePad
		syms["runtime.semtable"] = s
	}
	return &layout{fields: vl.fields, sizes: vl.sizes, syms: syms}, nil
}

// amd64CacheLinePad is internal/cpu.CacheLinePadSize on amd64.
const amd64CacheLinePad = 64
