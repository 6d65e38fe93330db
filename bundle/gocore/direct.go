package gocore

import (
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"

	"github.com/go-delve/delve/pkg/goversion"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/elfcore"
	"github.com/coroner/coroner/bundle/goroutines"
)

// directReader names the census reader that needs no debugger.
const directReader = "coroner frame-pointer reader"

// errNeedsDelve reports a core whose census needs delve.
var errNeedsDelve = errors.New("needs delve")

// directCensus reads a core's census without delve: a snapshot, a dump
// someone asked for (requestedDump decides, from the core alone), or a
// crash whose panic or fatal error it finds (crashDetails). It returns an
// error wrapping errNeedsDelve when the core needs delve: a crash whose
// panic or fatal error it cannot read, a snapshot with a goroutine inside
// panic or throw, a running goroutine not paired with its thread, an
// executable it cannot read (no DWARF, a Go version outside the
// frame-pointer reader's).
func directCensus(core io.ReaderAt, size int64, name, exePath string, listed func(goroutines int)) (*goroutines.Census, error) {
	// Without DWARF the layout comes from the Go version's table
	// (exeLayout), or the census refuses below.
	exeErr := checkExe(exePath)
	if exeErr != nil && !errors.Is(exeErr, errNoDWARF) {
		return nil, fmt.Errorf("%w: %v", errNeedsDelve, exeErr)
	}
	// The executable's layouts are read while the core's headers are.
	exe := loadExe(exePath)
	defer exe.close()
	info, err := elfcore.Parse(core, size)
	if err != nil {
		return nil, fmt.Errorf("core %s: %w", name, err)
	}
	bi, err := buildinfo.ReadFile(exePath)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNeedsDelve, err)
	}
	gover, ok := goversion.Parse(bi.GoVersion)
	if !ok || !inWindow(gover) {
		return nil, fmt.Errorf("%w: Go version %s", errNeedsDelve, bi.GoVersion)
	}
	fast, err := fastCensusWith(core, size, info, exe, gover, true, listed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNeedsDelve, err)
	}
	if len(fast.running) > 0 {
		return nil, fmt.Errorf("%w: %d running goroutines not paired with a thread", errNeedsDelve, len(fast.running))
	}
	c := fast.census
	if sig := info.Signal(); kernelDumpsCore(sig) {
		if req, _ := requestedDump(info, fast, c.Goroutines); req != nil {
			c.Requested = req
			for i := range c.Goroutines {
				c.Goroutines[i].Crashed = false
			}
		} else if fast.crash != nil {
			c.Crash = fast.crash
		} else {
			return nil, fmt.Errorf("%w: the core was written for signal %d, and its crash is unread: %v", errNeedsDelve, sig, fast.crashErr)
		}
	} else if g := c.Panicking(); g != nil {
		return nil, fmt.Errorf("%w: goroutine %d is in panic or throw", errNeedsDelve, g.ID)
	}
	c.Source, c.Reader, c.GoVersion = name, directReader, bi.GoVersion
	if exeErr != nil {
		c.Warnings = append(c.Warnings, fmt.Sprintf("the executable is stripped (no DWARF): runtime layouts from coroner's table for %s, variables found from the runtime's code", bi.GoVersion))
	}
	return c, nil
}

// ReadInPlace reports whether the census will likely read core, an
// artifact of the archive m describes, where it lies in the archive,
// without extracting it. It is a hint for callers that extract ahead of
// the analysis, from what the manifest holds: a core the kernel never
// writes for its signal (a debugger's snapshot), or one whose archive
// holds a Go executable with DWARF (the layouts the reader needs), which
// covers crashes and dumps someone asked for alike. The census extracts a
// core it finds it cannot read in place after all (errNeedsDelve).
func ReadInPlace(m *bundle.Manifest, core bundle.Artifact) bool {
	name := core.Attrs["signal"]
	if name == "" {
		return false
	}
	for n := 1; n < 65; n++ {
		if elfcore.SignalName(n) == name {
			return !kernelDumpsCore(n) || n == sigABRT && m.CoreAborted() || hasReadableExecutable(m)
		}
	}
	return false
}

// hasReadableExecutable reports whether the archive holds a Go executable
// coroner's reader has a layout for: one with debug info (ingest's "dwarf"
// attribute), or a stripped amd64 one whose Go version has a layout table
// (a build with a GOEXPERIMENT, which the manifest does not record, is
// refused later and costs an extraction, not a result).
func hasReadableExecutable(m *bundle.Manifest) bool {
	for _, a := range m.ArtifactsOf(bundle.KindGoBinary) {
		if a.Attrs["dwarf"] == "true" {
			return true
		}
		key, ok := layoutKey(a.Attrs["go_version"])
		if ok && a.Attrs["goarch"] == "amd64" && versionLayouts()[key] != nil {
			return true
		}
	}
	return false
}
