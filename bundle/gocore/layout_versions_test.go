package gocore

import (
	"debug/buildinfo"
	"debug/elf"
	"debug/gosym"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

var updateLayouts = flag.Bool("update-layouts", false, "rewrite layouts.json from fresh builds by each toolchain")

// layoutTablesFile is the generated file of layout tables, embedded as
// layoutsJSON.
const layoutTablesFile = "layouts.json"

// TestLayoutTables builds the test program with each supported toolchain
// and checks the committed table of its Go version against the layout
// loadLayout reads from the fresh build's DWARF, and the variables'
// code references against its symbol table; with -update-layouts it
// writes the tables instead (go generate).
func TestLayoutTables(t *testing.T) {
	fresh := map[string]*versionLayout{}
	for _, tc := range twinToolchains {
		t.Run(tc, func(t *testing.T) {
			p := buildTwins(t, tc)
			key, vl := derivedLayout(t, p.plain)
			fresh[key] = vl
			if *updateLayouts {
				return
			}
			want := versionLayouts()[key]
			if want == nil {
				t.Fatalf("no committed table for %s: run go generate", key)
			}
			for _, part := range []struct {
				name      string
				got, want any
			}{{"fields", vl.fields, want.fields}, {"sizes", vl.sizes, want.sizes}, {"vars", vl.vars, want.vars}} {
				if !reflect.DeepEqual(part.got, part.want) {
					t.Errorf("%s: committed %s differ from a fresh build's: run go generate", key, part.name)
				}
			}
		})
	}
	if *updateLayouts {
		if len(fresh) != len(twinToolchains) {
			t.Fatalf("only %d of %d toolchains built: tables not written", len(fresh), len(twinToolchains))
		}
		writeLayoutTables(t, fresh)
	}
}

// TestRuntimeVarsFromCode: in the stripped build of each supported
// version, every runtime variable found from the code lies at the address
// the unstripped twin's symbol table gives it.
func TestRuntimeVarsFromCode(t *testing.T) {
	for _, tc := range twinToolchains {
		t.Run(tc, func(t *testing.T) {
			p := buildTwins(t, tc)
			plain, err := elf.Open(p.plain)
			if err != nil {
				t.Fatal(err)
			}
			defer plain.Close()
			stripped, err := elf.Open(p.stripped)
			if err != nil {
				t.Fatal(err)
			}
			defer stripped.Close()
			if _, err := stripped.Symbols(); err == nil {
				t.Fatal("the -s -w build has a symbol table")
			}
			l, err := tableLayout(stripped, p.stripped)
			if err != nil {
				t.Fatal(err)
			}
			syms := symbolValues(t, plain)
			for _, name := range wantSyms {
				got, ok := l.syms[name]
				if !ok {
					t.Errorf("%s not found from the code", name)
					continue
				}
				if got.Value != syms[name] {
					t.Errorf("%s found at %#x, symbol table says %#x", name, got.Value, syms[name])
				}
			}
		})
	}
}

// symbolValues maps ef's symbols' names to their addresses.
func symbolValues(t *testing.T, ef *elf.File) map[string]uint64 {
	t.Helper()
	syms, err := ef.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, s := range syms {
		out[s.Name] = s.Value
	}
	return out
}

// derivedLayout is the layout of an unstripped executable as its DWARF
// and code give it: loadLayout's structs, and for each runtime variable
// the smallest runtime function (ties by name) that refers to it.
func derivedLayout(t *testing.T, exe string) (string, *versionLayout) {
	t.Helper()
	bi, err := buildinfo.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	key, ok := layoutKey(bi.GoVersion)
	if !ok {
		t.Fatalf("unparsed Go version %q", bi.GoVersion)
	}
	ef, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	d, err := ef.DWARF()
	if err != nil {
		t.Fatal(err)
	}
	l, err := loadLayout(ef, d)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := pclnFuncs(ef)
	if err != nil {
		t.Fatal(err)
	}
	fns := runtimeFuncs(tab)
	sort.Slice(fns, func(i, j int) bool {
		if fns[i].size != fns[j].size {
			return fns[i].size < fns[j].size
		}
		return fns[i].name < fns[j].name
	})
	targets := map[string][]uint64{}
	for _, f := range fns {
		code, entry, err := funcCode(ef, tab, f.name)
		if err == nil {
			targets[f.name] = ripTargets(code, entry)
		}
	}
	syms := symbolValues(t, ef)
	vars := map[string]varRef{}
	for _, name := range wantSyms {
		if isFuncSym(name) {
			continue
		}
	search:
		for _, f := range fns {
			for i, a := range targets[f.name] {
				if a == syms[name] {
					vars[name] = varRef{fn: f.name, ordinal: i}
					break search
				}
			}
		}
		if _, ok := vars[name]; !ok {
			t.Fatalf("%s: no runtime function refers to %s", key, name)
		}
	}
	return key, &versionLayout{fields: l.fields, sizes: l.sizes, vars: vars}
}

// isFuncSym reports whether name is one of the functions among wantSyms.
func isFuncSym(name string) bool {
	for _, f := range runtimeFuncSyms {
		if f == name {
			return true
		}
	}
	return false
}

// gosymFunc is a function's name and code size.
type gosymFunc struct {
	name string
	size uint64
}

// runtimeFuncs lists the package runtime's functions in tab.
func runtimeFuncs(tab *gosym.Table) []gosymFunc {
	var out []gosymFunc
	for _, f := range tab.Funcs {
		if strings.HasPrefix(f.Name, "runtime.") && f.End > f.Entry {
			out = append(out, gosymFunc{name: f.Name, size: f.End - f.Entry})
		}
	}
	return out
}

// writeLayoutTables writes the tables as layouts.json, indented, with
// keys in order.
func writeLayoutTables(t *testing.T, tables map[string]*versionLayout) {
	data, err := json.MarshalIndent(tables, "", "\t")
	if err != nil {
		t.Fatalf("encoding tables: %v", err)
	}
	if err := os.WriteFile(layoutTablesFile, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
