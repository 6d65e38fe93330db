package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/all"
	"github.com/coroner/coroner/analyze/driver"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/ingest"
	"github.com/coroner/coroner/internal/batch"
	"github.com/coroner/coroner/internal/blobstore"
	"github.com/coroner/coroner/reports"
	"github.com/coroner/coroner/reports/export"
	"github.com/coroner/coroner/reports/source"
)

func init() {
	register(&cli.Command{
		Name:      "analyze",
		Usage:     "analyze an incident archive, a directory of loose artifacts, or an attachment, and report the root cause",
		ArgsUsage: "ARCHIVE|DIR|ATTACHMENT",
		Description: `Runs every analyzer (or those named by --only, minus --skip) and prints the verdict and
findings as a table (--format text, the default), or writes report.md / report.html / report.json
into -o DIR for --format md,html,json (text may be combined with them). --export DIR also writes
the merged CPU profile as cpu.pb.gz (go tool pprof), cpu.folded (flamegraph.pl) and
cpu.speedscope.json (speedscope.app), and the GC pause timeline as gc-pauses.csv. A directory, a loose file
or a .zip/.tar.gz/.tgz/.tar/.tar.zst attachment is ingested into a temporary archive first.

Exit codes: 0 analysis done, no finding at or above --fail-on (or no --fail-on); 1 a finding at or
above --fail-on; 2 bad flags or arguments; 3 the input is unreadable or malformed; 4 coroner itself
failed (writing reports); 5 --timeout expired (partial results were printed and written).

Analyzers:` + analyzerHelp(all.Analyzers),
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "comma-separated: text (terminal table on stdout), md, html, json (files in -o)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: ".", Usage: "directory for md/html/json reports"},
			&cli.StringFlag{Name: "fail-on", Usage: "exit 1 when a finding has this severity or higher: warning or critical"},
			&cli.DurationFlag{Name: "timeout", Usage: "stop the whole analysis after this long and report what finished (exit 5)"},
			&cli.IntFlag{Name: "max-bytes", Usage: "cap the Markdown report at this many bytes (0 = no cap)"},
			&cli.StringFlag{Name: "export", Usage: "write the merged CPU profile (cpu.pb.gz, cpu.folded, cpu.speedscope.json) and the GC pause timeline (gc-pauses.csv) into this directory"},
			&cli.StringFlag{Name: "cpuprofile", Hidden: true, Usage: "write a CPU profile of the analysis to this file"},
		}, append(analysisFlags(""), sourceFlags()...)...),
		Action: runAnalyze,
	})
}

// analyzeOpts are the analyze command's settings.
type analyzeOpts struct {
	formats  []string
	text     bool
	output   string
	failOn   *analyze.Severity
	timeout  time.Duration
	maxBytes int
	opts     analyze.Options
	input    string
	cpuprof  string
	source   source.Options
	export   string
}

func runAnalyze(c *cli.Context) error {
	o, err := analyzeFlags(c)
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("analyze: %w", err))
	}
	ctx := c.Context
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	if o.cpuprof != "" {
		stop, err := startCPUProfile(o.cpuprof)
		if err != nil {
			return withCode(exitUsage, fmt.Errorf("analyze: --cpuprofile: %w", err))
		}
		defer stop()
	}
	logLine("analyzing %s", displayName(o.input))
	var inPlace *bundle.Archive
	if blobstore.IsURL(o.input) {
		if inPlace, err = batch.OpenInPlace(ctx, o.input); err != nil {
			return withCode(exitInput, fmt.Errorf("analyze: %w", err))
		}
	}
	input, sealed, fetched := o.input, false, func() {}
	if inPlace != nil {
		defer inPlace.Close()
		logLine("reading %s in place through its frame table", displayName(o.input))
	} else {
		input, sealed, fetched, err = batch.LocalInput(ctx, o.input)
		if err != nil {
			return withCode(exitInput, fmt.Errorf("analyze: %w", err))
		}
	}
	defer fetched()
	if inPlace == nil && input != o.input && !sealed && bundle.IsArchive(input) {
		logLine("%s has no seal to check: fetched with its frames' layout checked; members are checked against the manifest's SHA-256 as they are read", displayName(o.input))
	}
	var exports *export.Inputs
	if o.export != "" {
		exports = &export.Inputs{}
		o.opts.Results = exports.Take
	}
	start := time.Now()
	var res *analyze.Result
	switch {
	case inPlace != nil:
		res, err = driver.AnalyzeObject(ctx, inPlace, o.input, all.Analyzers, o.opts)
	case sealed: // checked while fetched: not hashed again
		res, err = driver.AnalyzeSealed(ctx, input, all.Analyzers, o.opts)
	default:
		res, err = driver.AnalyzeWith(ctx, input, all.Analyzers, o.opts, logLine)
	}
	timedOut := false
	if err != nil {
		switch {
		case ingest.IsInputError(err):
			return withCode(exitInput, fmt.Errorf("analyze: %w", err))
		case res != nil && ctx.Err() != nil:
			timedOut = true
		case ctx.Err() != nil:
			return withCode(exitTimeout, fmt.Errorf("analyze: %w", err))
		default:
			return withCode(exitInternal, fmt.Errorf("analyze: %w", err))
		}
	}
	logLine("analysis finished in %s", time.Since(start).Round(time.Millisecond))
	if err := attachSource(res, o.source); err != nil {
		return withCode(exitInput, fmt.Errorf("analyze: %w", err))
	}
	if o.text {
		if err := reports.Terminal(c.App.Writer, res); err != nil {
			return withCode(exitInternal, fmt.Errorf("analyze: %w", err))
		}
	}
	if len(o.formats) > 0 {
		paths, err := reports.WriteAll(o.output, res, o.formats, reports.Options{MaxBytes: o.maxBytes})
		if err != nil {
			return withCode(exitInternal, fmt.Errorf("analyze: %w", err))
		}
		for _, p := range paths {
			fmt.Fprintln(c.App.Writer, reports.SafeText(p))
		}
	}
	if exports != nil {
		exports.Name = res.Incident.ID
		paths, skipped, err := export.Write(o.export, exports)
		for _, s := range skipped {
			logLine("export: not written: %s", s)
		}
		for _, p := range paths {
			fmt.Fprintln(c.App.Writer, reports.SafeText(p))
		}
		if err != nil {
			return withCode(exitInternal, fmt.Errorf("analyze: %w", err))
		}
	}
	if timedOut {
		return withCode(exitTimeout, fmt.Errorf("analyze: --timeout %s expired; the report holds the analyzers that finished", o.timeout))
	}
	if o.failOn != nil {
		for _, f := range res.Findings {
			if f.Severity >= *o.failOn {
				return withCode(exitFindings, fmt.Errorf("analyze: %s finding %s", f.Severity, f.ID))
			}
		}
	}
	return nil
}

// analyzeFlags collects the settings; flags written after the input
// ("coroner analyze INC.tar.zst --format json") reach here through
// interspersed.
func analyzeFlags(c *cli.Context) (analyzeOpts, error) {
	var o analyzeOpts
	args := c.Args().Slice()
	if len(args) != 1 {
		return o, errors.New("name one ARCHIVE, DIR or ATTACHMENT")
	}
	o.input = args[0]
	o.output = c.String("output")
	o.cpuprof = c.String("cpuprofile")
	o.export = c.String("export")
	for _, f := range strings.Split(c.String("format"), ",") {
		switch f = strings.TrimSpace(strings.ToLower(f)); f {
		case "":
		case "text":
			o.text = true
		default:
			if _, ok := reports.Formats[f]; !ok {
				return o, fmt.Errorf("--format: unknown format %q (want text, %s)", f, strings.Join(reports.FormatNames(), ", "))
			}
			o.formats = append(o.formats, f)
		}
	}
	if !o.text && len(o.formats) == 0 {
		return o, errors.New("--format: no format given")
	}
	if s := c.String("fail-on"); s != "" {
		sev, err := analyze.ParseSeverity(s)
		if err != nil || sev == analyze.Info {
			return o, fmt.Errorf("--fail-on %q: want warning or critical", s)
		}
		o.failOn = &sev
	}
	if o.timeout = c.Duration("timeout"); o.timeout < 0 {
		return o, fmt.Errorf("--timeout: %s is not a non-negative duration", o.timeout)
	}
	if o.opts = analysisOptions(c); o.opts.Budget < 0 {
		return o, fmt.Errorf("--budget: %s is not a non-negative duration", o.opts.Budget)
	}
	if o.maxBytes = c.Int("max-bytes"); o.maxBytes < 0 {
		return o, errors.New("--max-bytes: want a non-negative integer")
	}
	src, err := sourceOpts(c)
	if err != nil {
		return o, err
	}
	o.source = src
	known := map[string]bool{}
	for _, a := range all.Analyzers {
		known[a.Name] = true
	}
	for _, n := range append(append([]string(nil), o.opts.Only...), o.opts.Skip...) {
		if !known[n] {
			return o, fmt.Errorf("unknown analyzer %q (known: %s)", n, analyzerNames())
		}
	}
	return o, nil
}

// startCPUProfile profiles this process into path until the returned
// function is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func analyzerNames() string {
	var n []string
	for _, a := range all.Analyzers {
		n = append(n, a.Name)
	}
	return strings.Join(n, ", ")
}
