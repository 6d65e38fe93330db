package coredump

import (
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"

	"github.com/go-delve/delve/pkg/goversion"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/corefile"
	"github.com/coroner/coroner/bundle/goroutines"
)

// directReader names the census reader that needs no debugger.
const directReader = "coroner frame-pointer reader"

// errNeedsDelve reports a core whose census needs delve.
var errNeedsDelve = errors.New("needs delve")

// directCensus reads a snapshot core's census without delve, or returns
// an error wrapping errNeedsDelve when the core needs it: a core the
// kernel wrote for a fatal signal (but for the SIGABRT of a capture that
// requested it), a goroutine inside panic or throw, a running goroutine
// not paired with its thread, an executable delve must read (no DWARF, a
// Go version outside the frame-pointer reader's).
func directCensus(core io.ReaderAt, size int64, name, exePath string, requested bool) (*goroutines.Census, error) {
	if err := checkExe(exePath); err != nil {
		return nil, fmt.Errorf("%w: %v", errNeedsDelve, err)
	}
	info, err := corefile.Parse(core, size)
	if err != nil {
		return nil, fmt.Errorf("core %s: %w", name, err)
	}
	if sig := info.Signal(); !snapshotSignal(sig, requested) {
		return nil, fmt.Errorf("%w: the core was written for signal %d", errNeedsDelve, sig)
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
	for _, g := range fast.census.Goroutines {
		if inPanic(g.Frames) {
			return nil, fmt.Errorf("%w: goroutine %d is in panic or throw", errNeedsDelve, g.ID)
		}
	}
	c := fast.census
	c.Source, c.Reader, c.GoVersion = name, directReader, bi.GoVersion
	return c, nil
}

// snapshotSignal reports whether a core whose notes carry signal sig is a
// snapshot, with no crash details for delve to read: a signal the kernel
// does not write cores for (a debugger wrote it of a live process), or
// the SIGABRT of a capture that requested the core.
func snapshotSignal(sig int, requested bool) bool {
	return !kernelDumpsCore(sig) || requested && sig == sigABRT
}

// ReadInPlace reports whether the census reads core, an artifact of the
// archive m describes, where it lies in the archive, without extracting
// it: the signal ingest recorded from its notes ("signal") makes it a
// snapshot (snapshotSignal). It is a hint for callers that extract ahead
// of the analysis; the child still extracts a core it finds needs delve.
func ReadInPlace(m *bundle.Manifest, core bundle.Artifact) bool {
	name := core.Attrs["signal"]
	if name == "" {
		return false
	}
	for n := 1; n < 65; n++ {
		if corefile.SignalName(n) == name {
			return snapshotSignal(n, m.CoreAborted())
		}
	}
	return false
}
