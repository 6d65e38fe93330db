package capture

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"

	"github.com/coroner/coroner/bundle/gctrace"
)

// maxLine bounds how much of one stderr line is buffered; a longer line is
// written out in pieces rather than growing memory with the target's output.
const maxLine = 64 << 10

// lineSplitter receives an --exec target's stderr and sends gctrace lines
// to one file and everything else (panics, crash tracebacks, logs) to
// another, so each is sniffed as what it is.
type lineSplitter struct {
	mu       sync.Mutex
	gc, rest *os.File
	partial  []byte
	gcLines  int
	rest0    int64
	err      error
	muted    bool
}

// mute drops everything written from now on: the traceback the runtime
// prints when coroner itself sends SIGABRT for a core is not the target's
// own output, and kept it would read like a crash.
func (s *lineSplitter) mute() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.partial) > 0 {
		s.emit(append(s.partial, '\n'))
		s.partial = s.partial[:0]
	}
	s.muted = true
}

// newLineSplitter splits the target's stderr into gctrace.log and
// stderr.log, created in the staging directory dir.
func newLineSplitter(dir string) (*lineSplitter, error) {
	gc, err := os.Create(filepath.Join(dir, "gctrace.log"))
	if err != nil {
		return nil, err
	}
	rest, err := os.Create(filepath.Join(dir, "stderr.log"))
	if err != nil {
		gc.Close()
		return nil, err
	}
	return &lineSplitter{gc: gc, rest: rest}, nil
}

// Write implements io.Writer. It never fails towards the target's pipe: a
// full disk must not block or kill the process being captured; the first
// error is kept and reported by the step.
func (s *lineSplitter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(p)
	if s.muted {
		return n, nil
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.partial = append(s.partial, p...)
			if len(s.partial) > maxLine {
				s.emit(s.partial)
				s.partial = s.partial[:0]
			}
			break
		}
		line := p[:i+1]
		if len(s.partial) > 0 {
			line = append(s.partial, line...)
			s.partial = s.partial[:0]
		}
		s.emit(line)
		p = p[i+1:]
	}
	return n, nil
}

func (s *lineSplitter) emit(line []byte) {
	f := s.rest
	if gctrace.Opens(line) {
		f = s.gc
		s.gcLines++
	} else {
		s.rest0 += int64(len(line))
	}
	if _, err := f.Write(line); err != nil && s.err == nil {
		s.err = err
	}
}

// Close flushes a trailing partial line and closes both files.
func (s *lineSplitter) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.partial) > 0 {
		s.emit(append(s.partial, '\n'))
		s.partial = nil
	}
	for _, f := range []*os.File{s.gc, s.rest} {
		if err := f.Close(); err != nil && s.err == nil {
			s.err = err
		}
	}
	return s.err
}

// counts returns the number of gctrace lines and bytes of other output.
func (s *lineSplitter) counts() (int, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gcLines, s.rest0
}
