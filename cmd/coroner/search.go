package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/internal/index"
)

func init() {
	register(&cli.Command{
		Name:  "search",
		Usage: "list past incidents from the index by signature, cause, module or time",
		Description: `Finds "which past incidents had this same crash / the same lock convoy". Each archive shows its
most recently indexed analysis unless --all-runs is given. --signature and --module take an exact
value or a prefix ending in '*'; --signature also takes every spelling coroner has printed (the
canonical crash:v1:5192be24f55af9d8, v1:5192be24f55af9d8 without the cause, the hash alone, a
culprit key without its cause, or a crash's short text), and says on stderr how it read it. --since takes an RFC 3339 time, a date (2006-01-02) or an age
(36h, 7d). Exit codes: 0 (even when nothing matched); 2 bad flags; 4 the index is unreadable.`,
		Flags: []cli.Flag{
			indexFlag,
			&cli.StringFlag{Name: "signature", Aliases: []string{"s"}, Usage: "verdict signature in any spelling coroner prints (prefix with trailing *)"},
			&cli.StringFlag{Name: "cause", Aliases: []string{"c"}, Usage: "verdict cause: " + strings.Join(analyze.Causes, ", ")},
			&cli.StringFlag{Name: "module", Aliases: []string{"m"}, Usage: "main module path (prefix with trailing *)"},
			&cli.StringFlag{Name: "since", Usage: "incidents at or after this time or age"},
			&cli.StringFlag{Name: "analyzer-set", Usage: "only runs of this analyzer-set version"},
			&cli.BoolFlag{Name: "all-runs", Usage: "list every analyzer-set run of each archive"},
			&cli.IntFlag{Name: "limit", Usage: "at most this many rows (0: all)"},
			jsonFlag("print JSON instead of a table"),
		},
		Action: runSearch,
	})
}

func runSearch(c *cli.Context) error {
	q, err := searchQuery(c)
	if err != nil {
		return err
	}
	db, err := openIndex(c)
	if err != nil {
		return err
	}
	defer db.Close()
	var runs []index.Run
	if sig := c.String("signature"); sig != "" {
		var m index.SignatureMatch
		runs, m, err = db.SearchSignature(c.Context, sig, q)
		if err != nil {
			if m.Form == "" {
				return withCode(exitUsage, err)
			}
			return withCode(exitInternal, err)
		}
		logLine("%s", sanitizeTerm(m.String()))
	} else if runs, err = db.Search(c.Context, q); err != nil {
		return withCode(exitInternal, err)
	}
	if c.Bool("json") {
		if runs == nil {
			runs = []index.Run{}
		}
		return writeJSONOut(c.App.Writer, runs)
	}
	return printRuns(c, runs)
}

// searchQuery reads the search's filters. A cause no verdict names, a
// time it cannot read and a negative limit are usage errors.
func searchQuery(c *cli.Context) (index.Query, error) {
	q := index.Query{Module: c.String("module"), AnalyzerSet: c.String("analyzer-set"),
		Latest: !c.Bool("all-runs"), Limit: c.Int("limit"), Cause: c.String("cause")}
	if q.Cause != "" && !slices.Contains(analyze.Causes, q.Cause) {
		return q, withCode(exitUsage, fmt.Errorf("--cause %q: want one of %s", q.Cause, strings.Join(analyze.Causes, ", ")))
	}
	if s := c.String("since"); s != "" {
		t, err := index.ParseSince(s, time.Now())
		if err != nil {
			return q, withCode(exitUsage, err)
		}
		q.Since = t
	}
	if q.Limit < 0 {
		return q, withCode(exitUsage, fmt.Errorf("--limit %d: want 0 or more", q.Limit))
	}
	return q, nil
}

// printRuns prints runs as a table.
func printRuns(c *cli.Context, runs []index.Run) error {
	if len(runs) == 0 {
		fmt.Fprintln(c.App.Writer, "no matching incidents")
		return nil
	}
	t := newTable(c.App.Writer)
	t.Header("TIME", "INCIDENT", "CAUSE", "SEVERITY", "SIGNATURE", "CULPRIT", "MODULE", "GO", "HOST", "DIGEST")
	for _, r := range runs {
		when := r.IncidentTime
		if when.IsZero() {
			when = r.IndexedAt
		}
		_ = t.Append(when.UTC().Format("2006-01-02 15:04"), sanitizeTerm(clip(r.IncidentID, 40)), r.Cause, r.Severity,
			sanitizeTerm(clip(r.Signature, 48)), sanitizeTerm(clip(r.Culprit, 48)), sanitizeTerm(clip(r.Module, 40)),
			sanitizeTerm(r.GoVersion), sanitizeTerm(clip(r.Host, 24)), short(r.ArchiveDigest))
	}
	if err := t.Render(); err != nil {
		return withCode(exitInternal, err)
	}
	fmt.Fprintf(c.App.Writer, "%d incidents\n", len(runs))
	return nil
}
