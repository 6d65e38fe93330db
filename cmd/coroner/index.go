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
	Usage:   "incident index: a SQLite file, or a postgres:// URL for one index shared by many machines",
	EnvVars: []string{"CORONER_INDEX"},
}

// openIndex opens the existing index that --index names, for the commands
// that read it (search, serve); its error carries exit code 4.
func openIndex(c *cli.Context) (*index.DB, error) {
	db, err := index.OpenExisting(c.Context, c.String("index"))
	if err != nil {
		return nil, withCode(exitInternal, err)
	}
	return db, nil
}

func init() {
	register(&cli.Command{
		Name:      "index",
		Usage:     "add archives (analyzed now, in a child process), result JSON files or batch output directories to the incident index",
		ArgsUsage: "ARCHIVE|RESULT.json|BATCH_OUT_DIR...",
		Description: `A RESULT.json (from coroner analyze --format json or coroner batch) is added as is, under the
analyzer set it records; a batch output directory adds every result its summary lists. Anything
else is analyzed first with the current analyzers. Re-adding
the same archive and analyzer set replaces its row.

With --from, every result stored under a batch output (a directory, or the object-store prefix
given to batch --output) is added: an index is rebuilt from stored results.

Exit codes: 0 all added; 3 an input could not be read or analyzed (the others were added);
4 the index could not be written.`,
		Flags: []cli.Flag{indexFlag,
			jsonFlag("print the rows added as a JSON array, as search --json prints them"),
			&cli.StringFlag{Name: "from", Usage: "also add every result stored under this batch output: a directory or an object-store URL (s3://BUCKET/PREFIX/, …)"}},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 && c.String("from") == "" {
				return withCode(exitUsage, errors.New("index: name at least one ARCHIVE or RESULT.json, or --from a batch output"))
			}
			db, err := index.Open(c.Context, c.String("index"))
			if err != nil {
				return withCode(exitInternal, err)
			}
			defer db.Close()
			var failed []string
			added := []index.Run{}
			if from := c.String("from"); from != "" {
				runs, err := indexFrom(c, db, from)
				if err != nil {
					return err
				}
				added = append(added, runs...)
			}
			for _, in := range c.Args().Slice() {
				runs, code, err := indexRuns(c, in)
				if err == nil {
					err = db.Add(c.Context, runs...)
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
				added = append(added, runs...)
				for _, run := range runs {
					if c.Bool("json") {
						continue
					}
					fmt.Fprintf(c.App.Writer, "indexed %s: %s %s %s\n", sanitizeTerm(run.Source), run.Cause, run.Severity, sanitizeTerm(run.Signature))
				}
			}
			if c.Bool("json") {
				if err := writeJSONOut(c.App.Writer, added); err != nil {
					return withCode(exitInternal, err)
				}
			}
			if len(failed) > 0 {
				return withCode(exitInput, fmt.Errorf("index: %d of %d inputs not added: %s", len(failed), c.NArg(), strings.Join(failed, ", ")))
			}
			return nil
		},
	})
}

// indexRuns turns one argument into index rows: a batch output directory
// gives one per analyzed archive.
func indexRuns(c *cli.Context, in string) ([]index.Run, int, error) {
	if st, err := os.Stat(in); err == nil && st.IsDir() {
		s, err := batch.ReadSummary(in)
		if err != nil {
			return nil, exitInput, fmt.Errorf("not a batch output directory: %w", err)
		}
		var runs []index.Run
		for _, e := range s.Entries {
			if e.Status != batch.StatusOK {
				continue
			}
			p, err := filepath.Abs(filepath.Join(in, e.Result))
			if err != nil {
				return nil, exitInput, err
			}
			res, err := batch.ReadResult(p)
			if err != nil {
				return nil, exitInput, err
			}
			runs = append(runs, index.FromResult(res, s.AnalyzerSet, p))
		}
		return runs, 0, nil
	}
	run, code, err := indexRun(c, in)
	if err != nil {
		return nil, code, err
	}
	return []index.Run{run}, 0, nil
}

// indexRun turns one file argument into an index row.
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

// indexFrom adds every result stored under the batch output from, in one
// transaction per result, and returns the rows added.
func indexFrom(c *cli.Context, db *index.DB, from string) ([]index.Run, error) {
	var runs []index.Run
	err := batch.ReadStored(c.Context, from, func(res *analyze.Result, set, name string) error {
		run := index.FromResult(res, set, name)
		if run.ArchiveDigest == "" {
			return fmt.Errorf("%s: result has no archive digest", name)
		}
		if err := db.Add(c.Context, run); err != nil {
			return withCode(exitInternal, err)
		}
		runs = append(runs, run)
		return nil
	})
	if err != nil {
		var coded *exitError
		if errors.As(err, &coded) {
			return nil, err
		}
		return nil, withCode(exitInput, fmt.Errorf("index --from %s: %w", displayName(from), err))
	}
	if !c.Bool("json") {
		fmt.Fprintf(c.App.Writer, "indexed %d stored results from %s\n", len(runs), sanitizeTerm(displayName(from)))
	}
	return runs, nil
}
