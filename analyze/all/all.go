// Package all is coroner's full analyzer set and the entry point that
// analyzes an archive, a directory of loose files, or an attachment.
package all

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/census"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/crash"
	"github.com/coroner/coroner/analyze/deadlock"
	"github.com/coroner/coroner/analyze/gcstw"
	"github.com/coroner/coroner/analyze/internal/traces"
	"github.com/coroner/coroner/analyze/inventory"
	"github.com/coroner/coroner/analyze/lockwait"
	"github.com/coroner/coroner/analyze/netpoll"
	"github.com/coroner/coroner/analyze/syncpool"
	"github.com/coroner/coroner/analyze/verdict"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/gocore"
	"github.com/coroner/coroner/bundle/ingest"
)

// Analyzers is every analyzer, in the order reports list them; the
// verdict runs after all the others.
var Analyzers = []*analyze.Analyzer{
	inventory.Analyzer,
	cpu.Analyzer,
	traces.Analyzer,
	gcstw.Analyzer,
	netpoll.Analyzer,
	syncpool.Analyzer,
	census.Analyzer,
	crash.Analyzer,
	deadlock.Analyzer,
	lockwait.Analyzer,
	verdict.Analyzer,
}

func init() {
	verdict.Analyzer.After = nil
	for _, a := range Analyzers {
		if a != verdict.Analyzer {
			verdict.Analyzer.After = append(verdict.Analyzer.After, a)
		}
	}
	if err := analyze.Validate(Analyzers); err != nil {
		panic("analyzer set invalid: " + err.Error())
	}
}

// Seekable reports whether the analyzers read a, an artifact of the
// archive m describes, by seeking (through analyze.Source.Path) rather than
// streaming it: executables, perf.data recordings and the kallsyms that
// symbolizes them, and cores when the archive holds a Go executable for
// the census to read them with — except snapshots, which the census reads
// where they lie in the archive (gocore.ReadInPlace).
func Seekable(m *bundle.Manifest, a bundle.Artifact) bool {
	switch a.Kind {
	case bundle.KindGoBinary, bundle.KindELF, bundle.KindPerfData, bundle.KindKallsyms:
		return true
	case bundle.KindCore:
		if gocore.ReadInPlace(m, a) {
			return false
		}
		for _, b := range m.Artifacts {
			if b.Kind == bundle.KindGoBinary {
				return true
			}
		}
	}
	return false
}

// InputError reports that the input could not be opened or ingested, as
// opposed to a failure of the analysis.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Analyze runs every analyzer over input: a coroner archive, or anything
// ingest accepts (a directory of loose files, a file, a .zip/.tar.gz/.tgz/
// .tar/.tar.zst attachment), which is first ingested into a temporary
// archive. The error is an *InputError when the input is unreadable; with
// ctx ending early the partial result comes back with the error.
func Analyze(ctx context.Context, input string, o analyze.Options) (*analyze.Result, error) {
	return AnalyzeWith(ctx, input, Analyzers, o, nil)
}

// AnalyzeWith is Analyze with a chosen analyzer set and a progress log
// (may be nil).
func AnalyzeWith(ctx context.Context, input string, set []*analyze.Analyzer, o analyze.Options, logf func(string, ...any)) (*analyze.Result, error) {
	if _, err := os.Stat(input); err != nil {
		return nil, &InputError{err}
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
			var ie *ingest.InputError
			if errors.As(err, &ie) {
				return nil, &InputError{err}
			}
			if ctx.Err() != nil {
				// The report still says what happened: no analyzer ran.
				m := &bundle.Manifest{Warnings: []string{fmt.Sprintf("ingest of %s ended early (%v): nothing was analysed", input, ctx.Err())}}
				r, _ := analyze.Execute(ctx, unread{m}, set, o)
				return r, err
			}
			return nil, &InputError{fmt.Errorf("ingesting %s: %w", input, err)}
		}
	}
	a, err := bundle.Open(path)
	if err != nil {
		return nil, &InputError{err}
	}
	defer a.Close()
	// A cut or altered archive is refused whole rather than analysed in
	// part; members are hashed as the analyzers read them.
	if err := a.CheckSealed(); err != nil {
		return nil, &InputError{err}
	}
	return analyze.Execute(ctx, a, set, o)
}

// unread is the source of an input whose ingest was cut short: a manifest
// with no artifact.
type unread struct{ m *bundle.Manifest }

func (u unread) Manifest() *bundle.Manifest { return u.m }

func (u unread) Open(a bundle.Artifact) (io.ReadCloser, error) {
	return nil, fmt.Errorf("%s: %w", a.Path, bundle.ErrNotFound)
}

func (u unread) Path(a bundle.Artifact) (string, error) {
	return "", fmt.Errorf("%s: %w", a.Path, bundle.ErrNotFound)
}
