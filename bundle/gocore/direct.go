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

// directCensus reads a core's census without delve when the core is a
// snapshot or a dump someone asked for, or returns an error wrapping
// errNeedsDelve when the core needs delve: a core the kernel wrote for a
// fatal signal that did not come from outside the process (requestedDump
// decides, from the core alone), a goroutine inside panic or throw, a
// running goroutine not paired with its thread, an executable delve must
// read (no DWARF, a Go version outside the frame-pointer reader's).
func directCensus(core io.ReaderAt, size int64, name, exePath string) (*goroutines.Census, error) {
	if err := checkExe(exePath); err != nil {
		return nil, fmt.Errorf("%w: %v", errNeedsDelve, err)
	}
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
	fast, err := fastCensusAt(core, size, exePath, gover, true)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNeedsDelve, err)
	}
	if len(fast.running) > 0 {
		return nil, fmt.Errorf("%w: %d running goroutines not paired with a thread", errNeedsDelve, len(fast.running))
	}
	if g := fast.census.Panicking(); g != nil {
		return nil, fmt.Errorf("%w: goroutine %d is in panic or throw", errNeedsDelve, g.ID)
	}
	c := fast.census
	if sig := info.Signal(); kernelDumpsCore(sig) {
		req, why := requestedDump(info, fast, c.Goroutines)
		if req == nil {
			return nil, fmt.Errorf("%w: the core was written for signal %d and %s", errNeedsDelve, sig, why)
		}
		c.Requested = req
	}
	c.Source, c.Reader, c.GoVersion = name, directReader, bi.GoVersion
	return c, nil
}

// ReadInPlace reports whether the census will likely read core, an
// artifact of the archive m describes, where it lies in the archive,
// without extracting it. It is a hint for callers that extract ahead of
// the analysis, from what the manifest holds: the signal ingest recorded
// from the core's notes ("signal") is one the kernel never writes a core
// for (a debugger's snapshot), or the capture recorded sending SIGABRT
// itself (Manifest.CoreAborted). Whether a SIGABRT core was sent from
// outside takes the executable to read; the census decides that from the
// core (requestedDump) and extracts a core it finds needs delve.
func ReadInPlace(m *bundle.Manifest, core bundle.Artifact) bool {
	name := core.Attrs["signal"]
	if name == "" {
		return false
	}
	for n := 1; n < 65; n++ {
		if elfcore.SignalName(n) == name {
			return !kernelDumpsCore(n) || n == sigABRT && m.CoreAborted()
		}
	}
	return false
}
