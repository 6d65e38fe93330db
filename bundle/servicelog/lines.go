package servicelog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxLine bounds one payload line and one raw line. The runtime's own
// lines are short (a frame's function line with its arguments stays under
// a few KiB; a panic value is printed whole, but tab-indented per line);
// wrappers cut far below it (CRI and Docker at 16 KiB, journald at 48 KiB,
// LineMax). An application line longer than this is cut to it and
// counted in Lines.Cut, never an error.
const MaxLine = 1 << 20

// Line is one payload line.
type Line struct {
	// Text is the line without its newline; valid until the next call.
	Text []byte
	// Source names the stream ("stderr") or process ("app[42]") the
	// wrapper says wrote it; "" when it names none.
	Source string
	// Offset is where the raw line that began it starts in the input.
	Offset int64
}

// Lines reads the payload lines of a raw stream one at a time.
type Lines struct {
	name string
	br   *bufio.Reader
	u    unwrapper
	off  int64
	raw  []byte
	// pend holds payload begun by partial records, per source.
	pend map[string]*pending
	out  []byte
	// queue holds the pending lines flushed at the end of the input.
	queue []Line
	eof   bool
	// Cut counts lines longer than MaxLine, cut to it.
	Cut int
}

type pending struct {
	text []byte
	off  int64
}

// NewLines reads r, whose raw lines are in format f; base is the offset
// of r's first byte in the file (for Line.Offset) and name labels errors.
func NewLines(r io.Reader, f Format, base int64, name string) *Lines {
	return &Lines{name: name, br: bufio.NewReaderSize(r, 64<<10), u: unwrapper{f: f}, off: base, pend: map[string]*pending{}}
}

// SkipPartial drops the input up to its first newline: a window that
// starts inside a file starts inside a line.
func (l *Lines) SkipPartial() error {
	for {
		frag, err := l.br.ReadSlice('\n')
		l.off += int64(len(frag))
		if err == nil || errors.Is(err, io.EOF) {
			return nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return fmt.Errorf("%s: offset %d: %w", l.name, l.off, err)
		}
	}
}

// Next returns the next payload line, or io.EOF after the last.
func (l *Lines) Next() (Line, error) {
	for {
		if len(l.queue) > 0 {
			ln := l.queue[0]
			l.queue = l.queue[1:]
			return ln, nil
		}
		if l.eof {
			if len(l.pend) > 0 {
				l.flushPending()
				continue
			}
			return Line{}, io.EOF
		}
		off := l.off
		raw, err := l.readRaw()
		if errors.Is(err, io.EOF) {
			l.eof = true
			if raw == nil {
				continue
			}
		} else if err != nil {
			return Line{}, err
		}
		rec := l.u.unwrap(raw)
		if rec.none {
			continue
		}
		p := l.pend[rec.source]
		if !rec.eol {
			if p == nil {
				p = &pending{off: off}
				l.pend[rec.source] = p
			}
			p.text = l.appendCut(p.text, rec.payload)
			continue
		}
		if p != nil {
			delete(l.pend, rec.source)
			l.out = l.appendCut(append(l.out[:0], p.text...), rec.payload)
			return Line{Text: l.out, Source: rec.source, Offset: p.off}, nil
		}
		return Line{Text: rec.payload, Source: rec.source, Offset: off}, nil
	}
}

// flushPending queues payload whose final record never came (the log was
// cut), as lines of their own, in order of their offsets.
func (l *Lines) flushPending() {
	for src, p := range l.pend {
		l.queue = append(l.queue, Line{Text: p.text, Source: src, Offset: p.off})
	}
	clear(l.pend)
	for i := 1; i < len(l.queue); i++ {
		for j := i; j > 0 && l.queue[j].Offset < l.queue[j-1].Offset; j-- {
			l.queue[j], l.queue[j-1] = l.queue[j-1], l.queue[j]
		}
	}
}

// appendCut appends b to dst, keeping dst within MaxLine.
func (l *Lines) appendCut(dst, b []byte) []byte {
	if room := MaxLine - len(dst); len(b) > room {
		if room > 0 {
			l.Cut++
		}
		b = b[:max(room, 0)]
	}
	return append(dst, b...)
}

// readRaw returns the next raw line without its newline (and a "\r"
// before it), cut to MaxLine; io.EOF comes with the last line when the
// input does not end with a newline, or with nil after it.
func (l *Lines) readRaw() ([]byte, error) {
	frag, err := l.br.ReadSlice('\n')
	l.off += int64(len(frag))
	if err == nil {
		return bytes.TrimSuffix(frag[:len(frag)-1], []byte("\r")), nil
	}
	l.raw = append(l.raw[:0], frag...)
	for errors.Is(err, bufio.ErrBufferFull) {
		frag, err = l.br.ReadSlice('\n')
		l.off += int64(len(frag))
		if len(l.raw) < MaxLine {
			l.raw = append(l.raw, frag[:min(len(frag), MaxLine-len(l.raw))]...)
			if len(l.raw) == MaxLine {
				l.Cut++
			}
		}
	}
	switch {
	case err == nil:
		return bytes.TrimSuffix(bytes.TrimSuffix(l.raw, []byte("\n")), []byte("\r")), nil
	case errors.Is(err, io.EOF):
		if len(l.raw) == 0 {
			return nil, io.EOF
		}
		return bytes.TrimSuffix(l.raw, []byte("\r")), io.EOF
	}
	return nil, fmt.Errorf("%s: offset %d: %w", l.name, l.off, err)
}
