// Package export writes what an analysis measured in the formats other
// tools read: the merged CPU profile as pprof (go tool pprof), folded
// stacks (Brendan Gregg's flamegraph.pl) and a speedscope file, and the GC
// pause timeline as CSV for a spreadsheet. Strings from the inputs are
// made safe for each format: control characters are escaped as in the
// reports, a function name cannot split a folded frame or line, and a CSV
// cell cannot start a spreadsheet formula.
package export

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/gcstw"
	"github.com/coroner/coroner/bundle"
)

// The files Write puts in its directory.
const (
	PprofFile      = "cpu.pb.gz"
	FoldedFile     = "cpu.folded"
	SpeedscopeFile = "cpu.speedscope.json"
	GCPausesFile   = "gc-pauses.csv"
)

// Inputs are the analyzer results the exports are made from. Take fills
// them in as an analyze.Options.Results hook.
type Inputs struct {
	// Name names the profile in the speedscope file (the incident ID).
	Name string
	// CPU is the cpu analyzer's merged profile; nil when it did not run.
	CPU *cpu.Profile
	// GC is the gc_stw analyzer's result; nil when it did not run.
	GC   *gcstw.Result
	errs []error
}

// Take keeps the results of the cpu and gc_stw analyzers; it has the
// signature of analyze.Options.Results. A result of another type than
// the analyzer's is an error Write reports.
func (in *Inputs) Take(a *analyze.Analyzer, result any) {
	switch a {
	case cpu.Analyzer:
		in.errs = keep(&in.CPU, a, result, in.errs)
	case gcstw.Analyzer:
		in.errs = keep(&in.GC, a, result, in.errs)
	}
}

// keep stores a's result in dst when it has dst's type, and otherwise
// appends to errs the error saying which type it has.
func keep[T any](dst *T, a *analyze.Analyzer, result any, errs []error) []error {
	v, ok := result.(T)
	if !ok {
		return append(errs, fmt.Errorf("the %s analyzer's result is %T, not %T", a.Name, result, *dst))
	}
	*dst = v
	return errs
}

// file is one export: its name and its writer, or why it is not written.
type file struct {
	name  string
	write func(io.Writer) error
}

// Write writes every export it has data for into dir, creating it, each
// file atomically (a temporary name, fsync, rename). It returns the paths
// written and, for each file it could not write, the reason, as skipped
// (a CPU profile needs CPU samples; the pause timeline needs gc_stw).
func Write(dir string, in *Inputs) (paths, skipped []string, err error) {
	if err := errors.Join(in.errs...); err != nil {
		return nil, nil, fmt.Errorf("export: %w", err)
	}
	var files []file
	if in.CPU != nil && in.CPU.Total > 0 {
		p := in.CPU
		files = append(files,
			file{PprofFile, func(w io.Writer) error { return Pprof(w, p) }},
			file{FoldedFile, func(w io.Writer) error { return Folded(w, p) }},
			file{SpeedscopeFile, func(w io.Writer) error { return Speedscope(w, p, in.Name) }})
	} else {
		skipped = append(skipped, PprofFile+", "+FoldedFile+", "+SpeedscopeFile+": the archive holds no CPU samples (no pprof CPU profile or perf.data)")
	}
	switch {
	case in.GC == nil:
		skipped = append(skipped, GCPausesFile+": the gc_stw analyzer did not run")
	case len(in.GC.Pauses) == 0 && len(in.GC.Cycles) == 0:
		skipped = append(skipped, GCPausesFile+": no execution trace or gctrace log shows a GC pause")
	default:
		g := in.GC
		files = append(files, file{GCPausesFile, func(w io.Writer) error { return GCPausesCSV(w, g) }})
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, skipped, fmt.Errorf("export directory %s: %w", dir, err)
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := bundle.WriteAtomic(p, f.write); err != nil {
			return paths, skipped, fmt.Errorf("export: %w", err)
		}
		paths = append(paths, p)
	}
	return paths, skipped, nil
}
