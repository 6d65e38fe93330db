// Package driver runs a set of analyzers over an input: it ingests a
// directory, loose file or attachment into a temporary archive when the
// input is not one already, opens the archive, refuses it when its seal is
// broken, and executes the set (analyze.Execute). The set itself is
// analyze/all's list or any other.
package driver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/ingest"
)

// Analyze runs the analyzers of set over input: a coroner archive, or anything
// ingest accepts (a directory of loose files, a file, a .zip/.tar.gz/.tgz/
// .tar/.tar.zst attachment), which is first ingested into a temporary
// archive. The error is an *ingest.InputError when the input is
// unreadable (ingest.IsInputError); with
// ctx ending early the partial result comes back with the error.
func Analyze(ctx context.Context, input string, set []*analyze.Analyzer, o analyze.Options) (*analyze.Result, error) {
	return AnalyzeWith(ctx, input, set, o, nil)
}

// AnalyzeWith is Analyze with a progress log (may be nil).
func AnalyzeWith(ctx context.Context, input string, set []*analyze.Analyzer, o analyze.Options, logf func(string, ...any)) (*analyze.Result, error) {
	if _, err := os.Stat(input); err != nil {
		return nil, &ingest.InputError{Err: err}
	}
	path := input
	if !bundle.IsArchive(input) {
		// An owned stage, so a killed run's ingest is swept by the next.
		dir, release, err := bundle.TempStage("")
		if err != nil {
			return nil, err
		}
		defer release()
		path = filepath.Join(dir, "incident.tar.zst")
		if logf != nil {
			logf("ingesting %s", input)
		}
		_, err = ingest.Run(ctx, ingest.Options{Inputs: []string{input}, Output: path, Limits: ingest.DefaultLimits(), Log: logf})
		if err != nil {
			if ingest.IsInputError(err) {
				return nil, err
			}
			if ctx.Err() != nil {
				// The report still says what happened: no analyzer ran.
				m := &bundle.Manifest{Warnings: []string{fmt.Sprintf("ingest of %s ended early (%v): nothing was analysed", input, ctx.Err())}}
				r, _ := analyze.Execute(ctx, unread{m}, set, o)
				return r, err
			}
			return nil, &ingest.InputError{Err: fmt.Errorf("ingesting %s: %w", input, err)}
		}
	}
	return analyzeArchive(ctx, path, bundle.Open, set, o)
}

// AnalyzeSealed runs the analyzers of set over the archive at path, whose
// seal the caller checked over every byte (as a fetch from an object store
// does while the bytes arrive): its structure is checked without hashing
// the file again (bundle.OpenSealed).
func AnalyzeSealed(ctx context.Context, path string, set []*analyze.Analyzer, o analyze.Options) (*analyze.Result, error) {
	return analyzeArchive(ctx, path, bundle.OpenSealed, set, o)
}

// analyzeArchive opens the archive at path with open and executes set
// over it, once its seal and structure check.
func analyzeArchive(ctx context.Context, path string, open func(string) (*bundle.Archive, error), set []*analyze.Analyzer, o analyze.Options) (*analyze.Result, error) {
	a, err := open(path)
	if err != nil {
		return nil, &ingest.InputError{Err: err}
	}
	defer a.Close()
	// A cut or altered archive is refused whole rather than analysed in
	// part; members are hashed as the analyzers read them. Its structure
	// is checked first; its seal over every compressed byte while the
	// analyzers run (what they read is checked against the frame table as
	// it is decoded), and a mismatch refuses it all the same.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sealed := make(chan error, 1)
	go func() {
		err := a.CheckBytes()
		if err != nil {
			cancel() // the analysis is refused: stop its analyzers
		}
		sealed <- err
	}()
	if err := a.CheckStructure(); err != nil {
		if serr := <-sealed; serr != nil {
			err = serr // the seal says why the structure is off
		}
		return nil, &ingest.InputError{Err: err}
	}
	res, err := analyze.Execute(ctx, a, set, o)
	if serr := <-sealed; serr != nil {
		return nil, &ingest.InputError{Err: serr}
	}
	return res, err
}
