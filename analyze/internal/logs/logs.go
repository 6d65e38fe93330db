// Package logs gives analyzers what a service log (bundle.KindLog)
// carries: the goroutine census of its last traceback, read from its
// tail, and its unwrapped lines for the gctrace reader.
package logs

import (
	"fmt"
	"io"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/bundle/servicelog"
)

// Census reads the census of the last traceback in log a. Where the
// source gives random access (an archive member, a loose file), only the
// log's head and tail are read (servicelog.Find); otherwise it is read
// whole as it streams by. It also returns what the read found (nil when
// the log could not be read), whose gctrace summary spares gc_stw a
// second read of a log it covered whole (servicelog.Found.GCTrace).
func Census(pass *analyze.Pass, a bundle.Artifact) (*goroutines.Census, *servicelog.Found, error) {
	f, err := find(pass, a)
	if err != nil {
		return nil, nil, err
	}
	c, err := goroutines.FromLog(f, a.Path)
	return c, f, err
}

// find reads the runtime output at the end of log a (all of it when
// the source cannot seek).
func find(pass *analyze.Pass, a bundle.Artifact) (*servicelog.Found, error) {
	if ar, ok := pass.Archive(); ok {
		if m, err := ar.OpenMemberForward(a); err == nil {
			defer m.Close()
			return goroutines.FindLog(m, m.Size(), a.Path)
		}
	}
	rc, err := pass.Open(a)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Path, err)
	}
	defer rc.Close()
	if ra, ok := rc.(io.ReaderAt); ok {
		return goroutines.FindLog(ra, a.Size, a.Path)
	}
	return goroutines.ReadLog(rc, a.Path)
}

// GCTraceSources lists the artifacts that may hold gctrace lines: gctrace
// logs, then service logs.
func GCTraceSources(pass *analyze.Pass) []bundle.Artifact {
	return append(pass.Artifacts(bundle.KindGCTrace), pass.Artifacts(bundle.KindLog)...)
}

// Open streams an artifact's text as the runtime wrote it: a service
// log's lines unwrapped from its host's format, any other artifact as
// stored.
func Open(pass *analyze.Pass, a bundle.Artifact) (io.ReadCloser, error) {
	rc, err := pass.Open(a)
	if err != nil || a.Kind != bundle.KindLog {
		return rc, err
	}
	r, err := servicelog.NewReader(rc, a.Path)
	if err != nil {
		rc.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{r, rc}, nil
}
