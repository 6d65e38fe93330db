package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/perfdata"
	"github.com/coroner/coroner/bundle/symbolize"
)

func init() {
	register(&cli.Command{
		Name:      "perf",
		Usage:     "read a perf.data natively: top functions, pprof export",
		ArgsUsage: "ARCHIVE|perf.data",
		Description: `Reads perf.data (file or pipe mode) without perf, symbolizes Go frames from the
binary's pclntab (stripped binaries included, inlined calls expanded) and kernel
frames from a kallsyms snapshot, and prints the functions with the most samples,
as perf report --no-children --sort sym would. From an archive, the binaries and
kallsyms stored in it are used; a binary whose build ID differs from the one perf
recorded is reported, not used.

A recording of several processes (perf record -a, several -p, --cgroup) is first
split per process: PID, command, samples, share of the host's busy time and
binary, with the idle task (PID 0) apart. --pid or --comm restricts the top and
the export to one process; --target to the one the analysis would choose (the
process running the archive's binary by build ID, else the busiest Go process).

Exit codes: 0 done; 2 bad usage; 3 unreadable or malformed input; 4 writing the
export failed.`,
		Flags: append(outputFlags("", "write the samples as a gzipped pprof profile to `FILE` (opens in go tool pprof)", "export"),
			jsonFlag("print the process split and top functions as JSON instead of tables"),
			&cli.BoolFlag{Name: "dump", Usage: "print every record as text instead (debugging)"},
			&cli.IntFlag{Name: "top", Value: 20, Usage: "print the `N` functions with the most samples (0: all)"},
			&cli.StringSliceFlag{Name: "binary", Usage: "ELF `FILE` to symbolize with (repeatable); matched by build ID or name"},
			&cli.StringFlag{Name: "kallsyms", Usage: "kallsyms `FILE` naming kernel frames (e.g. a copy of /proc/kallsyms)"},
			&cli.UintFlag{Name: "pid", Usage: "only the samples of process `PID`"},
			&cli.StringFlag{Name: "comm", Usage: "only the samples of the process named `NAME` (the busiest of that name)"},
			&cli.BoolFlag{Name: "target", Usage: "only the samples of the process the analysis would choose"},
		),
		Action: runPerf,
	})
}

func runPerf(c *cli.Context) error {
	if err := checkArgs(c, 1, "ARCHIVE or perf.data"); err != nil {
		return err
	}
	if c.Int("top") < 0 {
		return withCode(exitUsage, errors.New("perf: --top must be ≥ 0"))
	}
	in := c.Args().First()
	pid := c.Uint("pid")
	if pid > math.MaxUint32 || c.IsSet("pid") && pid == 0 {
		return withCode(exitUsage, fmt.Errorf("perf: --pid %d is not a process ID (PID 0 is the idle task)", pid))
	}
	if c.Bool("json") && c.Bool("dump") {
		return withCode(exitUsage, errors.New("perf: give one of --json and --dump"))
	}
	if n := btoi(c.IsSet("pid")) + btoi(c.String("comm") != "") + btoi(c.Bool("target")); n > 1 {
		return withCode(exitUsage, errors.New("perf: give one of --pid, --comm and --target"))
	}
	out, err := outputValue(c, "export")
	if err != nil {
		return err
	}
	o := perfdata.Options{Binaries: map[string]string{}, Kallsyms: c.String("kallsyms"), LeafOnly: out == "",
		Select: perfdata.Selector{PID: uint32(pid), Comm: c.String("comm")}}
	for _, b := range c.StringSlice("binary") {
		if err := addBinary(&o, b); err != nil {
			return withCode(exitInput, err)
		}
	}
	data := in
	if bundle.IsArchive(in) {
		a, err := bundle.Open(in)
		if err != nil {
			return withCode(exitInput, err)
		}
		// Closing the archive lets the cache evict what it extracted:
		// only once the files have been read.
		defer a.Close()
		if data, err = perfFromArchive(a, &o); err != nil {
			return withCode(exitInput, err)
		}
	}
	if c.Bool("dump") {
		return dumpPerf(c.App.Writer, data)
	}
	agg, err := perfdata.AggregateFile(data, o)
	if errors.Is(err, perfdata.ErrNoProcess) {
		return withCode(exitUsage, err)
	}
	if err != nil {
		return withCode(exitInput, err)
	}
	for _, w := range agg.Warnings {
		logWarning(in, w)
	}
	restrict := c.IsSet("pid") || c.String("comm") != "" || c.Bool("target")
	if c.Bool("json") {
		shown := agg
		if restrict {
			shown = agg.TargetOnly()
		}
		if err := writePerfJSON(c.App.Writer, agg, shown, c.Int("top"), restrict); err != nil {
			return withCode(exitInternal, err)
		}
	} else if len(agg.Processes) > 1 || restrict {
		printSplit(c.App.Writer, agg)
	}
	if restrict {
		agg = agg.TargetOnly()
	}
	if !c.Bool("json") {
		if err := printTop(c.App.Writer, agg, c.Int("top")); err != nil {
			return withCode(exitInternal, err)
		}
	}
	if out != "" {
		p, err := agg.Profile()
		if err != nil {
			return withCode(exitInput, err)
		}
		if err := bundle.WriteAtomic(out, func(w io.Writer) error { return p.Write(w) }); err != nil {
			return withCode(exitInternal, fmt.Errorf("--output %s: %w", out, err))
		}
	}
	return nil
}

// dumpPerf prints the records of the perf.data at path.
func dumpPerf(w io.Writer, path string) error {
	r, err := perfdata.Open(path)
	if err != nil {
		return withCode(exitInput, err)
	}
	defer r.Close()
	if err := perfdata.Dump(w, r); err != nil {
		return withCode(exitInput, fmt.Errorf("%s: %w", path, err))
	}
	return nil
}

// addBinary registers a --binary ELF under its path, base name and build
// ID.
func addBinary(o *perfdata.Options, path string) error {
	b, err := symbolize.Open(path)
	if err != nil {
		return fmt.Errorf("--binary: %w", err)
	}
	defer b.Close()
	o.AddBinary(path, b.BuildID, []string{path}, false)
	return nil
}

// perfFromArchive picks the archive's perf.data and registers its binaries
// and kallsyms; it returns the perf.data's local path, valid until a is
// closed.
func perfFromArchive(a *bundle.Archive, o *perfdata.Options) (string, error) {
	path := a.File()
	m := a.Manifest()
	perfs := m.ArtifactsOf(bundle.KindPerfData)
	if len(perfs) == 0 {
		return "", fmt.Errorf("%s: the archive holds no perf.data", path)
	}
	if len(perfs) > 1 {
		logWarning(path, fmt.Sprintf("the archive holds %d perf.data files; reading %s", len(perfs), perfs[0].Original))
	}
	for _, k := range []bundle.Kind{bundle.KindGoBinary, bundle.KindELF} {
		for _, art := range m.ArtifactsOf(k) {
			p, err := a.Path(art)
			if err != nil {
				return "", err
			}
			o.AddBinary(p, art.Attrs["build_id"], append([]string{art.Original}, art.Also...), k == bundle.KindGoBinary)
		}
	}
	if ks, ok := firstOf(m, bundle.KindKallsyms); ok && o.Kallsyms == "" {
		p, err := a.Path(ks)
		if err != nil {
			return "", err
		}
		o.Kallsyms = p
	}
	return a.Path(perfs[0])
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func firstOf(m *bundle.Manifest, k bundle.Kind) (bundle.Artifact, bool) {
	as := m.ArtifactsOf(k)
	if len(as) == 0 {
		return bundle.Artifact{}, false
	}
	return as[0], true
}

// printTop writes the flat profile like perf report's stdio table.
func printTop(w io.Writer, a *perfdata.Aggregate, n int) error {
	events := strings.Join(a.Events, ",")
	fmt.Fprintf(w, "# Samples: %d of event '%s'\n", a.Samples, bundle.DisplayName(events))
	if a.Lost > 0 {
		fmt.Fprintf(w, "# Lost samples: %d\n", a.Lost)
	}
	fmt.Fprintf(w, "# %8s  %10s  %s\n", "Overhead", "Samples", "Symbol")
	for _, e := range a.Top(n) {
		pct := 0.0
		if a.Samples > 0 {
			pct = 100 * float64(e.Samples) / float64(a.Samples)
		}
		fmt.Fprintf(w, "  %7.2f%%  %10d  %s\n", pct, e.Samples, bundle.DisplayName(e.Name))
	}
	return nil
}

// logWarning writes a non-fatal problem to stderr.
func logWarning(input, msg string) {
	if logFormat == "json" {
		writeJSONLine(os.Stderr, "level", "warning", "input", input, "warning", msg)
		return
	}
	fmt.Fprintf(os.Stderr, "coroner: warning: %s: %s\n", input, msg)
}
