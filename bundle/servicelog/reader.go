package servicelog

import (
	"errors"
	"io"
)

// Reader is the payload of a wrapped log as one text stream: every
// payload line followed by a newline, for readers of plain runtime
// output such as the gctrace package.
type Reader struct {
	// Format is the wrapper format detected from the head.
	Format Format
	lines  *Lines
	// line holds the current line and its newline; buf is what of it is
	// still to be read. line keeps its capacity from line to line.
	line []byte
	buf  []byte
	err  error
}

// NewReader unwraps r, detecting its format from the head; name labels
// errors.
func NewReader(r io.Reader, name string) (*Reader, error) {
	br, f, err := detectStream(r, name)
	if err != nil {
		return nil, err
	}
	return &Reader{lines: NewLines(br, f, 0, name), Format: f}, nil
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		ln, err := r.lines.Next()
		if err != nil {
			r.err = err
			if !errors.Is(err, io.EOF) {
				return 0, err
			}
			continue
		}
		r.line = append(append(r.line[:0], ln.Text...), '\n')
		r.buf = r.line
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}
