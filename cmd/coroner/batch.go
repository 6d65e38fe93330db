package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/all"
	"github.com/coroner/coroner/analyze/driver"
	"github.com/coroner/coroner/bundle/ingest"
	"github.com/coroner/coroner/internal/batch"
	"github.com/coroner/coroner/internal/blobstore"
	"github.com/coroner/coroner/internal/index"
	"github.com/coroner/coroner/internal/worker"
)

// defaultBatchOut is where batch writes when --out is not given.
const defaultBatchOut = "coroner-batch"

func init() {
	register(&cli.Command{
		Name:      "batch",
		Usage:     "re-analyze many archives in parallel child processes, resumably, into an output directory and an incident index",
		ArgsUsage: "ARCHIVE|DIR|GLOB|URL...",
		Description: `Each archive (or .zip/.tar.gz attachment) is analyzed in its own child process under a
memory cap and a time budget; a failing or hostile archive is recorded in DIR/failed/ with its
error and the batch goes on. Results are written atomically to DIR/results/<digest>@<set>.json,
named by the archive digest and the analyzer-set version, so a re-run (after Ctrl-C or a kill)
skips finished ones. DIR/summary.json lists every input; DIR/index.sqlite is the incident index
(see coroner search). With --compare-to, verdict changes against an earlier output (a directory
or an object-store prefix) are printed and written to DIR/diff.json.

An argument may be an object-store URL (s3://BUCKET/KEY, gs://, azblob://, file://): an object,
or every archive under a prefix ending in '/'. Each is fetched into the cache directory while its
seal is checked, analyzed, and removed. --output may be such a URL too (with --index given):
results and records are stored there as whole objects.

With --shard K/N (or, in a Kubernetes Indexed Job, JOB_COMPLETION_INDEX and JOB_COMPLETIONS) only
the archives whose digest falls in shard K are analyzed; N processes sharing DIR and the index
(a postgres:// URL) cover every archive once, and each writes DIR/summary.shard-K-of-N.json.

Exit codes: 0 all archives analyzed; 3 some archives failed (the rest were analyzed);
4 the output directory or index could not be written; 5 interrupted.`,
		Flags: append(outputFlags(defaultBatchOut, "output directory, or object-store URL prefix (s3://BUCKET/PREFIX/, gs://, azblob://, file://; needs --index)", "out"),
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Value: runtime.GOMAXPROCS(0), Usage: "archives analyzed at once (default: the CPUs this process may use)"},
			&cli.StringFlag{Name: "compare-to", Usage: "earlier batch output (a directory or an object-store URL prefix) to diff verdicts against"},
			&cli.StringFlag{Name: "index", EnvVars: []string{"CORONER_INDEX"}, Usage: "incident index: a SQLite file or a postgres:// URL (default OUT/index.sqlite; - for none)"},
			&cli.StringFlag{Name: "memory", Value: humanize.IBytes(batch.DefaultMemory), Usage: "memory cap per archive (e.g. 2GiB)"},
			&cli.DurationFlag{Name: "timeout", Value: batch.DefaultTimeout, Usage: "wall-clock budget per archive"},
			&cli.DurationFlag{Name: "budget", Value: analyze.DefaultBudget, Usage: "time budget per analyzer"},
			&cli.BoolFlag{Name: "force", Usage: "analyze even where analyzers would refuse (e.g. mismatched build IDs)"},
			&cli.BoolFlag{Name: "retry-failed", Usage: "re-analyze archives whose earlier attempt failed"},
			&cli.BoolFlag{Name: "verify", Usage: "re-hash every member of each archive before analyzing it, as coroner verify does (default: check the seal over its compressed bytes; members are hashed as they are read)"},
			jsonFlag("print the summary as JSON on stdout"),
			&cli.StringFlag{Name: "shard", Usage: "analyze only shard K/N of the inputs (K from 0), chosen by archive digest (default: from JOB_COMPLETION_INDEX)"},
			&cli.IntFlag{Name: "shards", Usage: "shard count with JOB_COMPLETION_INDEX (default: JOB_COMPLETIONS)"},
		),
		Action: runBatch,
	})
}

func runBatch(c *cli.Context) error {
	if err := checkArgs(c, atLeastOne, "ARCHIVE, DIR or GLOB"); err != nil {
		return err
	}
	mem, err := humanize.ParseBytes(c.String("memory"))
	if err != nil || mem == 0 || mem > 1<<50 {
		return withCode(exitUsage, fmt.Errorf("--memory %q: want a size such as 2GiB", c.String("memory")))
	}
	if c.Int("jobs") < 1 {
		return withCode(exitUsage, fmt.Errorf("--jobs %d: want at least 1", c.Int("jobs")))
	}
	out, err := outputValue(c, "out")
	if err != nil {
		return err
	}
	shard, err := batchShard(c)
	if err != nil {
		return withCode(exitUsage, err)
	}
	inputs, missing, err := batch.Expand(c.Args().Slice())
	if err != nil {
		return withCode(exitUsage, err)
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()

	prog := newBatchProgress(c.App.ErrWriter)
	o := batch.Options{
		Jobs:        c.Int("jobs"),
		Out:         out,
		AnalyzerSet: index.SetVersionOf(all.Analyzers),
		Analyze:     analyze.Options{Budget: c.Duration("budget"), Force: c.Bool("force")},
		Limits:      worker.Limits{Memory: int64(mem), Timeout: c.Duration("timeout")},
		Index:       c.String("index"),
		RetryFailed: c.Bool("retry-failed"),
		Verify:      c.Bool("verify"),
		CacheMax:    c.String("cache-max"),
		OnStart:     prog.start,
		OnDone:      prog.done,
		Shard:       shard,
	}
	s, runErr := batch.Run(ctx, inputs, missing, o)
	prog.finish()
	if s != nil {
		if c.Bool("json") {
			if err := writeJSONOut(c.App.Writer, s); err != nil {
				return withCode(exitInternal, err)
			}
		} else {
			printBatchSummary(c.App.Writer, s, batchSummaryName(o))
		}
	}
	if prev := c.String("compare-to"); prev != "" && s != nil && ctx.Err() == nil {
		d, err := batch.CompareTo(prev, o.Out)
		if err != nil {
			return withCode(exitUsage, err)
		}
		if !c.Bool("json") {
			if err := printDiff(c.App.Writer, d); err != nil {
				return withCode(exitInternal, err)
			}
		}
	}
	switch {
	case runErr == nil:
		return nil
	case errors.Is(runErr, context.Canceled):
		return withCode(exitTimeout, runErr)
	case errors.Is(runErr, batch.ErrFailures):
		return withCode(exitInput, runErr)
	}
	return withCode(exitInternal, runErr)
}

// batchSummaryName names the summary a run writes, for the user.
func batchSummaryName(o batch.Options) string {
	if blobstore.IsURL(o.Out) {
		if loc, err := blobstore.Open(context.Background(), o.Out); err == nil {
			return blobstore.Redact(loc.URL(loc.Join(o.Shard.SummaryName())))
		}
	}
	return filepath.Join(o.Out, o.Shard.SummaryName())
}

// batchShard reads --shard, or a Kubernetes Indexed Job's
// JOB_COMPLETION_INDEX with --shards or JOB_COMPLETIONS.
func batchShard(c *cli.Context) (batch.Shard, error) {
	if c.Int("shards") < 0 {
		return batch.Shard{}, fmt.Errorf("--shards %d: want at least 1", c.Int("shards"))
	}
	if s := c.String("shard"); s != "" {
		sh, err := batch.ParseShard(s)
		if err == nil && c.Int("shards") > 0 && c.Int("shards") != sh.Count {
			err = fmt.Errorf("--shard %s and --shards %d disagree on the shard count", s, c.Int("shards"))
		}
		return sh, err
	}
	sh, err := batch.ShardFromEnv(os.Getenv, c.Int("shards"))
	if err == nil && !sh.Sharded() && c.Int("shards") > 1 {
		err = fmt.Errorf("--shards %d without --shard or JOB_COMPLETION_INDEX: which shard is this?", c.Int("shards"))
	}
	return sh, err
}

// registerBatchWorker lets this executable serve as a batch's worker
// child, analysing one input with the full analyzer set.
func registerBatchWorker() {
	batch.RegisterWorker(batch.Analysis{
		Analyze: func(ctx context.Context, input string, o analyze.Options) (*analyze.Result, error) {
			return driver.Analyze(ctx, input, all.Analyzers, o)
		},
		AnalyzeSealed: func(ctx context.Context, archive string, o analyze.Options) (*analyze.Result, error) {
			return driver.AnalyzeSealed(ctx, archive, all.Analyzers, o)
		},
		AnalyzeObject: func(ctx context.Context, url string, o analyze.Options) (*analyze.Result, error) {
			a, err := blobstore.OpenArchive(ctx, url)
			if err != nil {
				return nil, &ingest.InputError{Err: err}
			}
			defer a.Close()
			return driver.AnalyzeObject(ctx, a, url, all.Analyzers, o)
		},
		Seekable: all.Seekable,
	})
}
