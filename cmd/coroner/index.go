package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/all"
	"github.com/coroner/coroner/internal/batch"
	"github.com/coroner/coroner/internal/index"
	"github.com/coroner/coroner/internal/worker"
)

// indexFlag names the incident index; the default is the one coroner batch
// writes with its default --out.
var indexFlag = &cli.StringFlag{
	Name:    "index",
	Value:   filepath.Join(defaultBatchOut, index.FileName),
	Usage:   "incident index file",
	EnvVars: []string{"CORONER_INDEX"},
}

func init() {
	register(&cli.Command{
		Name:      "index",
		Usage:     "add archives (analyzed now, in a child process) or result JSON files to the incident index",
		ArgsUsage: "ARCHIVE|RESULT.json...",
		Description: `A RESULT.json (from coroner analyze --format json or coroner batch) is added as is, under the
analyzer set it records. Anything else is analyzed first with the current analyzers. Re-adding
the same archive and analyzer set replaces its row.

Exit codes: 0 all added; 3 an input could not be read or analyzed (the others were added);
4 the index could not be written.`,
		Flags: []cli.Flag{indexFlag},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return withCode(exitUsage, errors.New("index: name at least one ARCHIVE or RESULT.json"))
			}
			db, err := index.Open(c.Context, c.String("index"))
			if err != nil {
				return withCode(exitInternal, err)
			}
			defer db.Close()
			var failed []string
			for _, in := range c.Args().Slice() {
				run, code, err := indexRun(c, in)
				if err == nil {
					err = db.Add(c.Context, run)
					code = exitInternal
				}
				if err != nil {
					if code == exitInternal {
						return withCode(code, fmt.Errorf("index %s: %w", in, err))
					}
					logError(fmt.Errorf("%s: %w", in, err), code)
					failed = append(failed, in)
					continue
				}
				fmt.Fprintf(c.App.Writer, "indexed %s: %s %s %s\n", sanitizeTerm(in), run.Cause, run.Severity, sanitizeTerm(run.Signature))
			}
			if len(failed) > 0 {
				return withCode(exitInput, fmt.Errorf("index: %d of %d inputs not added: %s", len(failed), c.NArg(), strings.Join(failed, ", ")))
			}
			return nil
		},
	})
}

// indexRun turns one argument into an index row.
func indexRun(c *cli.Context, in string) (index.Run, int, error) {
	abs, err := filepath.Abs(in)
	if err != nil {
		return index.Run{}, exitInput, err
	}
	if strings.HasSuffix(strings.ToLower(in), ".json") {
		res, err := batch.ReadResult(in)
		if err != nil {
			return index.Run{}, exitInput, err
		}
		if res.Incident.ArchiveDigest == "" {
			return index.Run{}, exitInput, errors.New("result has no archive digest")
		}
		return index.FromResult(res, "", abs), 0, nil
	}
	if _, err := os.Stat(in); err != nil {
		return index.Run{}, exitInput, err
	}
	res, code, err := batch.AnalyzeOne(c.Context, in, analyze.Options{}, worker.Limits{})
	if err != nil {
		return index.Run{}, code, err
	}
	return index.FromResult(res, index.SetVersionOf(all.Analyzers), abs), 0, nil
}
