// Package batch re-analyzes many incident archives: bounded parallelism,
// each archive in a child process under a memory cap and a time budget (so
// a hostile archive fails alone), every outcome written atomically under a
// name made of the archive digest and the analyzer-set version (so a
// re-run, after Ctrl-C or SIGKILL, skips what is done), an incident index,
// and diffs between two runs' verdicts.
package batch

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/index"
	"github.com/coroner/coroner/internal/worker"
)

// Defaults for Options left zero.
const (
	// DefaultMemory is each archive's memory cap. Analysis streams its
	// artifacts; the census of the largest benchmark core stays under
	// 1 GiB of heap, so 2 GiB leaves room without letting two jobs exhaust
	// a small CI machine.
	DefaultMemory = 2 << 30
	// DefaultTimeout is each archive's wall-clock budget: the per-analyzer
	// budget (analyze.DefaultBudget) plus ingest and start-up.
	DefaultTimeout = analyze.DefaultBudget + analyze.DefaultBudget/2
)

// Options configure a batch run.
type Options struct {
	// Jobs is how many archives are analyzed at once (default: the CPUs
	// this process may use, GOMAXPROCS).
	Jobs int
	// Out is the output directory (results/, inputs/, summary.json, index).
	Out string
	// AnalyzerSet names the analyzer set results are stored under
	// (index.SetVersionOf of the analyzers the registered Analysis runs).
	AnalyzerSet string
	// Analyze are the options each analysis runs with.
	Analyze analyze.Options
	// Limits bound each child (zero fields: DefaultMemory, DefaultTimeout,
	// and CPUs/Jobs for the child's GOMAXPROCS).
	Limits worker.Limits
	// Index is the index file to add runs to: "" for Out/index.sqlite,
	// "-" for none.
	Index string
	// RetryFailed re-analyzes archives whose earlier attempt failed.
	RetryFailed bool
	// Verify re-hashes every member of an archive before analyzing it, as
	// coroner verify does; by default the seal over its compressed bytes
	// and its structure are checked (bundle.CheckSealed).
	Verify bool
	// CacheMax bounds the extraction cache the children share, as
	// bundle.ParseCacheBound reads it; "" leaves the environment's
	// ($CORONER_CACHE_MAX, else bundle.DefaultCacheMax).
	CacheMax string
	// OnStart is called once with the number of inputs; OnDone after each
	// input finishes, from one goroutine at a time.
	OnStart func(total int)
	OnDone  func(e Entry, cached bool)
	// Shard, when sharded, keeps the inputs whose key (archive digest)
	// it owns; the others are left to the other shards and not listed.
	// Each shard writes its own summary (summary.shard-K-of-N.json).
	Shard Shard
}

// Entry is one input's outcome.
type Entry struct {
	Input  string `json:"input"`
	Key    string `json:"key,omitempty"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// ExitCode classifies a failure like the coroner command's exit codes.
	ExitCode int `json:"exit_code,omitempty"`
	// Result is the result file, relative to the output directory.
	Result string `json:"result,omitempty"`
	Outcome
}

// Status values of an Entry.
const (
	StatusOK          = "ok"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
)

// Summary is a batch run's record, written to Out/summary.json. It holds
// no clock readings: the same inputs and analyzers give the same bytes.
type Summary struct {
	AnalyzerSet string  `json:"analyzer_set"`
	Entries     []Entry `json:"entries"`
	OK          int     `json:"ok"`
	Failed      int     `json:"failed"`
	Interrupted int     `json:"interrupted,omitempty"`
}

// ErrFailures is returned (wrapped) when some inputs failed; the batch
// itself completed.
var ErrFailures = errors.New("archives failed")

// Run analyzes every input file (see Expand) and returns the summary. It
// returns an error wrapping ErrFailures when some inputs failed, ctx's
// error when interrupted (the summary then marks unfinished inputs), and
// other errors only when the output directory or index cannot be written.
func Run(ctx context.Context, inputs, missing []string, o Options) (*Summary, error) {
	if o.Out == "" {
		return nil, errors.New("batch: no output directory")
	}
	if o.AnalyzerSet == "" {
		return nil, errors.New("batch: no analyzer set version")
	}
	// The CPUs this process may use: GOMAXPROCS, which Go sets from the
	// CPU affinity mask and (since Go 1.25) a cgroup CPU limit, and which
	// the GOMAXPROCS variable overrides. runtime.NumCPU counts the host's:
	// in a pod limited to 2 CPUs on a 64-CPU node it says 64.
	cpus := runtime.GOMAXPROCS(0)
	if o.Jobs <= 0 {
		o.Jobs = cpus
	}
	if o.Limits.Memory <= 0 {
		o.Limits.Memory = DefaultMemory
	}
	if o.Limits.Timeout <= 0 {
		o.Limits.Timeout = DefaultTimeout
	}
	if o.CacheMax != "" {
		if _, err := bundle.ParseCacheBound(o.CacheMax); err != nil {
			return nil, fmt.Errorf("batch: %w", err)
		}
	}
	if o.Limits.CPUs <= 0 {
		// Jobs children share this process's CPUs: each sized to the
		// whole machine would oversubscribe it (runtime threads, GC
		// workers fighting over the same cores). Two shards of one job
		// each on 2 cores, whose children each had GOMAXPROCS 2, spent
		// 15 % more CPU than one batch of two jobs (BenchmarkFleet).
		o.Limits.CPUs = max(1, cpus/o.Jobs)
	}
	out, err := openOutput(ctx, o.Out)
	if err != nil {
		return nil, fmt.Errorf("batch: %w", err)
	}
	var db *index.DB
	if o.Index != "-" {
		path := o.Index
		if path == "" && out.loc != nil {
			return nil, fmt.Errorf("batch: output %s is in an object store: name the index (a postgres:// URL, a local file, or - for none)", out.name(""))
		}
		if path == "" {
			path = filepath.Join(o.Out, index.FileName)
		}
		if db, err = index.Open(ctx, path); err != nil {
			return nil, fmt.Errorf("batch: %w", err)
		}
		defer db.Close()
	}
	r := &runner{o: o, db: db, out: out, wctx: context.WithoutCancel(ctx)}
	if o.Shard.Sharded() {
		inputs, r.ids = r.partition(ctx, inputs)
		var mine []string
		for _, m := range missing {
			if o.Shard.Owns(m) {
				mine = append(mine, m)
			}
		}
		missing = mine
	}
	if o.OnStart != nil {
		o.OnStart(len(inputs) + len(missing))
	}
	entries := make([]Entry, len(inputs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(o.Jobs, max(len(inputs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				e, cached := r.one(ctx, inputs[i])
				entries[i] = e
				r.done(e, cached)
			}
		}()
	}
	for i := range inputs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, m := range missing {
		e := Entry{Input: m, Status: StatusFailed, Error: "no such file, directory or matching file", ExitCode: exitInput}
		entries = append(entries, e)
		r.done(e, false)
	}
	s := summarize(o.AnalyzerSet, entries)
	summaryPath := out.name(o.Shard.SummaryName())
	if err := out.writeJSON(r.wctx, o.Shard.SummaryName(), s); err != nil {
		return s, fmt.Errorf("batch: %w", err)
	}
	if r.writeErr != nil {
		return s, fmt.Errorf("batch: %w", r.writeErr)
	}
	switch {
	case ctx.Err() != nil:
		return s, fmt.Errorf("batch interrupted after %d of %d archives: %w", s.OK+s.Failed, len(entries), ctx.Err())
	case s.Failed > 0:
		return s, fmt.Errorf("%w: %d of %d, listed in %s", ErrFailures, s.Failed, len(entries), summaryPath)
	}
	return s, nil
}

// summarize sorts entries by input and counts them.
func summarize(set string, entries []Entry) *Summary {
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Input < entries[j].Input })
	s := &Summary{AnalyzerSet: set, Entries: entries}
	for _, e := range entries {
		switch e.Status {
		case StatusOK:
			s.OK++
		case StatusFailed:
			s.Failed++
		default:
			s.Interrupted++
		}
	}
	return s
}
