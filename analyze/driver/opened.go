package driver

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/ingest"
)

// AnalyzeOpened runs the analyzers of set over an archive opened in place
// (bundle.OpenReaderAt), whose bytes are not all hashed before the
// analysis: its seal is checked over its frame table and its structure
// by CheckSealed, and each frame against the table as it is read. A
// member found damaged while the analyzers read it makes the whole
// analysis an input error (as a damaged local archive is refused before
// it is analysed), not a failed analyzer beside a report.
func AnalyzeOpened(ctx context.Context, a *bundle.Archive, set []*analyze.Analyzer, o analyze.Options) (*analyze.Result, error) {
	if err := a.CheckSealed(); err != nil {
		return nil, &ingest.InputError{Err: err}
	}
	src := &corruptWatch{a: a}
	res, err := analyze.Execute(ctx, src, set, o)
	if cerr := src.corrupt(); cerr != nil {
		return nil, &ingest.InputError{Err: cerr}
	}
	return res, err
}

// corruptWatch is an archive as an analyze.Source that keeps the first
// error wrapping bundle.ErrCorrupt its members' reads meet.
type corruptWatch struct {
	a   *bundle.Archive
	mu  sync.Mutex
	err error
}

func (w *corruptWatch) Manifest() *bundle.Manifest { return w.a.Manifest() }

// Digest is the archive's content ID, which the result names.
func (w *corruptWatch) Digest() string { return w.a.Digest() }

func (w *corruptWatch) Open(art bundle.Artifact) (io.ReadCloser, error) {
	rc, err := w.a.Open(art)
	if err != nil {
		return nil, w.note(err)
	}
	return watchedReader{rc, w}, nil
}

func (w *corruptWatch) Path(art bundle.Artifact) (string, error) {
	p, err := w.a.Path(art)
	return p, w.note(err)
}

// note keeps err when it is the first damage met, and returns it.
func (w *corruptWatch) note(err error) error {
	if errors.Is(err, bundle.ErrCorrupt) {
		w.mu.Lock()
		if w.err == nil {
			w.err = err
		}
		w.mu.Unlock()
	}
	return err
}

func (w *corruptWatch) corrupt() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// watchedReader reports its reads' damage to its corruptWatch.
type watchedReader struct {
	io.ReadCloser
	w *corruptWatch
}

func (r watchedReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	return n, r.w.note(err)
}
