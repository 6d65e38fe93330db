package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/ingest"
	"github.com/coroner/coroner/internal/worker"
)

// WorkerName is the worker that analyzes one archive in a child process.
const WorkerName = "batch-analyze"

// Analysis is what a batch's worker children run on each input.
type Analysis struct {
	// Analyze analyses one input: an archive, or an attachment it ingests
	// first.
	Analyze func(ctx context.Context, input string, o analyze.Options) (*analyze.Result, error)
	// AnalyzeSealed analyses an archive whose seal the batch checked as
	// it fetched it, without hashing it again; nil leaves it to Analyze.
	AnalyzeSealed func(ctx context.Context, archive string, o analyze.Options) (*analyze.Result, error)
	// AnalyzeObject analyses the archive at an object-store URL where it
	// lies, through its frame table (OpenInPlace found one), for a
	// batch over an object store.
	AnalyzeObject func(ctx context.Context, url string, o analyze.Options) (*analyze.Result, error)
	// Seekable selects the artifacts Analyze reads by seeking: with
	// Options.Verify the worker extracts them into the cache in the same
	// pass that verifies the archive, so the analysis finds them there
	// instead of decompressing the archive a second time. Nil extracts
	// nothing ahead.
	Seekable func(*bundle.Manifest, bundle.Artifact) bool
	// Classify returns the exit-code class of an error of Analyze; nil
	// means ClassifyError.
	Classify func(error) int
}

// RegisterWorker makes this program serve as a batch's worker child that
// runs an. A program that runs batches calls it from main before
// worker.Main, since the children are new processes of the same
// executable.
func RegisterWorker(an Analysis) {
	worker.Register(WorkerName, func(args []string) int { return childMain(an, args) })
}

// ClassifyError returns the exit-code class of an analysis error: 3 for a
// bad input (ingest.IsInputError), 5 for an expired budget, 4 otherwise.
func ClassifyError(err error) int {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return exitTimeout
	case ingest.IsInputError(err):
		return exitInput
	}
	return exitInternal
}

// Exit-code classes, matching the coroner command's.
const (
	exitInput    = 3
	exitInternal = 4
	exitTimeout  = 5
)

// childArgs is what the parent hands the worker.
type childArgs struct {
	Input   string          `json:"input"`
	Options analyze.Options `json:"options"`
	// Verify re-hashes every member before the analysis.
	Verify bool `json:"verify,omitempty"`
	// Sealed: the input is an archive whose seal was checked as it was
	// fetched.
	Sealed bool `json:"sealed,omitempty"`
	// Object: the input is the URL of an archive in an object store with
	// a frame table, analysed where it lies (Analysis.AnalyzeObject).
	Object bool `json:"object,omitempty"`
	// CacheMax is Options.CacheMax; the child puts it in its environment,
	// where the bundle package and the child's own workers read it.
	CacheMax string `json:"cache_max,omitempty"`
}

// childReply is the worker's whole stdout.
type childReply struct {
	Result   *analyze.Result `json:"result,omitempty"`
	Error    string          `json:"error,omitempty"`
	ExitCode int             `json:"exit_code,omitempty"`
}

// childMain analyzes one input with an and writes a childReply to stdout.
func childMain(an Analysis, args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "coroner: batch worker: want one JSON argument")
		return 2
	}
	var a childArgs
	if err := json.Unmarshal([]byte(args[0]), &a); err != nil {
		fmt.Fprintf(os.Stderr, "coroner: batch worker: %v\n", err)
		return 2
	}
	if an.Analyze == nil {
		fmt.Fprintln(os.Stderr, "coroner: batch worker: no analysis registered")
		return 4
	}
	if an.Classify == nil {
		an.Classify = ClassifyError
	}
	if a.CacheMax != "" {
		os.Setenv(bundle.CacheMaxEnv, a.CacheMax)
	}
	var reply childReply
	r, err := verifyAndAnalyze(an, a)
	if err != nil {
		reply.Error = err.Error()
		reply.ExitCode = an.Classify(err)
	} else {
		reply.Result = r
	}
	if err := json.NewEncoder(os.Stdout).Encode(&reply); err != nil {
		fmt.Fprintf(os.Stderr, "coroner: batch worker: writing reply: %v\n", err)
		return 4
	}
	return 0
}

// analyzeInChild runs the worker on input and returns its result, or an
// error and its exit-code class.
func analyzeInChild(ctx context.Context, args childArgs, lim worker.Limits) (*analyze.Result, int, error) {
	arg, err := json.Marshal(args)
	if err != nil {
		return nil, exitInternal, err
	}
	start := time.Now()
	out, err := worker.Run(ctx, WorkerName, []string{string(arg)}, lim)
	if err != nil {
		if ctx.Err() != nil {
			return nil, exitInternal, ctx.Err()
		}
		code := exitInternal
		switch {
		case lim.Timeout > 0 && time.Since(start) >= lim.Timeout:
			code = exitTimeout
		case errors.Is(err, worker.ErrKilled):
			// The child died from a signal: the input drove it past its
			// memory cap (the kernel or the runtime killed it).
			code = exitInput
		}
		return nil, code, err
	}
	if len(out) > maxResultBytes {
		return nil, exitInternal, fmt.Errorf("worker reply of %d bytes exceeds %d", len(out), maxResultBytes)
	}
	var reply childReply
	if err := json.Unmarshal(out, &reply); err != nil {
		return nil, exitInternal, fmt.Errorf("worker reply: %w", err)
	}
	if reply.Error != "" {
		code := reply.ExitCode
		if code == 0 {
			code = exitInternal
		}
		return nil, code, errors.New(reply.Error)
	}
	if reply.Result == nil {
		return nil, exitInternal, errors.New("worker replied with neither a result nor an error")
	}
	return reply.Result, 0, nil
}

// AnalyzeOne analyzes one input in a child process, as a batch does, and
// returns its result or an error with its exit-code class.
func AnalyzeOne(ctx context.Context, input string, o analyze.Options, lim worker.Limits) (*analyze.Result, int, error) {
	if lim.Memory <= 0 {
		lim.Memory = DefaultMemory
	}
	if lim.Timeout <= 0 {
		lim.Timeout = DefaultTimeout
	}
	return analyzeInChild(ctx, childArgs{Input: input, Options: o}, lim)
}

// verifyAndAnalyze analyses an archive, which an.Analyze refuses whole
// when its seal or structure is damaged (a truncated or altered archive
// fails rather than yielding a partial result). With Verify set every
// member is re-hashed against the manifest first, extracting the Seekable
// artifacts into the cache in the same pass and keeping nothing it wrote
// when the archive fails.
func verifyAndAnalyze(an Analysis, a childArgs) (*analyze.Result, error) {
	if a.Verify && bundle.IsArchive(a.Input) {
		want := an.Seekable
		if want == nil {
			want = func(*bundle.Manifest, bundle.Artifact) bool { return false }
		}
		if err := bundle.VerifyExtract(a.Input, want); err != nil {
			return nil, err
		}
	}
	if a.Object {
		if an.AnalyzeObject == nil {
			return nil, errors.New("no in-place analysis of objects registered")
		}
		return an.AnalyzeObject(context.Background(), a.Input, a.Options)
	}
	if a.Sealed && an.AnalyzeSealed != nil {
		return an.AnalyzeSealed(context.Background(), a.Input, a.Options)
	}
	return an.Analyze(context.Background(), a.Input, a.Options)
}
