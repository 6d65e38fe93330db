package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/all"
	"github.com/coroner/coroner/analyze/driver"
	"github.com/coroner/coroner/bundle/ingest"
	"github.com/coroner/coroner/reports"
)

func init() {
	register(&cli.Command{
		Name:      "report",
		Usage:     "write the root-cause report (Markdown, HTML, JSON) for an archive, or re-render a saved JSON result",
		ArgsUsage: "ARCHIVE|DIR|RESULT.json|-",
		Description: `An archive (or a directory or attachment of loose artifacts) is analyzed first. A JSON
result from coroner analyze, batch or report is re-rendered without analysing, after a check
against the result schema; "-" reads one from standard input. Reports are written as
DIR/report.md, report.html and report.json; the verdict and their paths are printed on stdout.
--max-bytes caps the Markdown (e.g. 65536 for a ticket comment), keeping the most important
content and saying what was cut.

Exit codes: 0 reports written; 2 bad flags; 3 the input is unreadable, not an incident archive
or artifacts, or not a valid result; 4 the analysis failed or the reports could not be written.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "md,html,json", Usage: "comma-separated report formats: md, html, json"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: ".", Usage: "directory to write the reports into"},
			&cli.IntFlag{Name: "max-bytes", Usage: "cap the Markdown report at this many bytes (0 = no cap)"},
			&cli.BoolFlag{Name: "print-schema", Usage: "print the JSON Schema of results and exit"},
		}, append(analysisFlags("when analysing: "), sourceFlags()...)...),
		Action: runReport,
	})
}

// reportOpts are the report command's settings.
type reportOpts struct {
	format, output string
	maxBytes       int
	printSchema    bool
	analyze        analyze.Options
	args           []string
}

func runReport(c *cli.Context) error {
	o := reportFlags(c)
	if o.printSchema {
		_, err := c.App.Writer.Write(reports.Schema())
		return err
	}
	if len(o.args) != 1 {
		return withCode(exitUsage, errors.New("report: name one ARCHIVE, DIR or RESULT.json"))
	}
	formats, err := reports.ParseFormats(o.format)
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("report: --format: %w", err))
	}
	if o.maxBytes < 0 {
		return withCode(exitUsage, errors.New("report: --max-bytes must not be negative"))
	}
	src, err := sourceOpts(c)
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("report: %w", err))
	}
	res, code, err := loadOrAnalyze(c.Context, o.args[0], o.analyze)
	if err != nil {
		return withCode(code, err)
	}
	if err := attachSource(res, src); err != nil {
		return withCode(exitInput, fmt.Errorf("report: %w", err))
	}
	paths, err := reports.WriteAll(o.output, res, formats, reports.Options{MaxBytes: o.maxBytes})
	if err != nil {
		return withCode(exitInternal, fmt.Errorf("report: %w", err))
	}
	v := res.Verdict
	fmt.Fprintf(c.App.Writer, "verdict: %s (%s, confidence %.0f%%): %s\n", reports.SafeText(v.Cause), v.Severity,
		v.Confidence*100, reports.SafeText(v.Headline))
	for _, p := range paths {
		fmt.Fprintln(c.App.Writer, reports.SafeText(p))
	}
	return nil
}

// reportFlags collects the settings; flags written after the input
// ("coroner report INC.tar.zst -o out") reach here through interspersed.
func reportFlags(c *cli.Context) reportOpts {
	return reportOpts{
		args:   c.Args().Slice(),
		format: c.String("format"), output: c.String("output"), maxBytes: c.Int("max-bytes"),
		printSchema: c.Bool("print-schema"),
		analyze:     analysisOptions(c),
	}
}

// loadOrAnalyze reads in as a JSON result when its content is one (first
// non-blank byte "{"), and analyzes it otherwise. On error it also returns
// the exit code: exitInput for an unreadable or invalid input,
// exitInternal when the analysis itself failed.
func loadOrAnalyze(ctx context.Context, in string, o analyze.Options) (*analyze.Result, int, error) {
	if in == "-" {
		res, err := reports.ReadResult(os.Stdin)
		if err != nil {
			return nil, exitInput, fmt.Errorf("report: standard input: %w", err)
		}
		return res, 0, nil
	}
	isJSON, err := looksLikeJSON(in)
	if err != nil {
		return nil, exitInput, fmt.Errorf("report: %w", err)
	}
	if !isJSON {
		res, err := driver.Analyze(ctx, in, all.Analyzers, o)
		if err != nil {
			if ingest.IsInputError(err) {
				return nil, exitInput, fmt.Errorf("report: %w", err)
			}
			return nil, exitInternal, fmt.Errorf("report: analyzing %s: %w", in, err)
		}
		return res, 0, nil
	}
	f, err := os.Open(in)
	if err != nil {
		return nil, exitInput, fmt.Errorf("report: %w", err)
	}
	defer f.Close()
	res, err := reports.ReadResult(f)
	if err != nil {
		return nil, exitInput, fmt.Errorf("report: %s: %w", in, err)
	}
	return res, 0, nil
}

// looksLikeJSON sniffs a regular file's first non-blank byte.
func looksLikeJSON(path string) (bool, error) {
	st, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	if !st.Mode().IsRegular() {
		return false, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := bufio.NewReader(f).Read(head)
	if n == 0 && err != nil {
		return false, nil
	}
	t := bytes.TrimLeft(head[:n], " \t\r\n\ufeff")
	return len(t) > 0 && t[0] == '{', nil
}
