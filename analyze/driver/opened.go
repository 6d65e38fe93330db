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

// AnalyzeObject runs the analyzers of set over an archive opened in place
// from the object at url (bundle.OpenReaderAt over a ranged
// blobstore.ObjectReader), whose bytes are not all hashed before the
// analysis: its seal is checked over its frame table and its structure
// by CheckSealed, and each frame against the table as it is read. A
// core is read where it lies too, by the census's child process, which
// opens the object by url itself. A member found damaged while the
// analyzers, or a child of theirs, read it makes the whole analysis an
// input error (as a damaged local archive is refused before it is
// analysed), not a failed analyzer beside a report.
func AnalyzeObject(ctx context.Context, a *bundle.Archive, url string, set []*analyze.Analyzer, o analyze.Options) (*analyze.Result, error) {
	if err := a.CheckSealed(); err != nil {
		return nil, &ingest.InputError{Err: err}
	}
	src := objectWatch{&corruptWatch{a: a}, url}
	res, err := analyze.Execute(ctx, src, set, o)
	if cerr := src.corrupt(); cerr != nil {
		return nil, &ingest.InputError{Err: cerr}
	}
	return res, err
}

var _ analyze.ObjectSource = objectWatch{}

// objectWatch is the analyze.ObjectSource of an archive read in place
// from the object at url.
type objectWatch struct {
	*corruptWatch
	url string
}

func (w objectWatch) Archive() *bundle.Archive { return w.a }

func (w objectWatch) URL() string { return w.url }

// Damaged notes err, as Open's and Path's reads' errors are noted.
func (w objectWatch) Damaged(err error) error { return w.note(err) }

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
