package goroutines

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unsafe"

	"github.com/coroner/coroner/bundle/servicelog"
)

// ErrNoTraceback is wrapped by the error for a log with no traceback in
// the part read: a log of a service that neither crashed nor was dumped.
var ErrNoTraceback = errors.New("no Go traceback")

// ParseLog reads the census from a service log of size bytes: the last
// traceback in its tail (servicelog.Find), unwrapped from whatever
// wrapped the log. name labels errors and the census's Source.
func ParseLog(r io.ReaderAt, size int64, name string) (*Census, error) {
	f, err := FindLog(r, size, name)
	if err != nil {
		return nil, err
	}
	return FromLog(f, name)
}

// ScanLog is ParseLog for a stream that cannot seek: it reads all of it.
func ScanLog(r io.Reader, name string) (*Census, error) {
	f, err := ReadLog(r, name)
	if err != nil {
		return nil, err
	}
	return FromLog(f, name)
}

// FindLog is servicelog.Find parsing each traceback as it is read, so
// that no copy of its text is kept; FromLog gives the last one's census.
func FindLog(r io.ReaderAt, size int64, name string) (*servicelog.Found, error) {
	return servicelog.FindWith(r, size, name, func() servicelog.LineSink { return newLogParser(name) })
}

// ReadLog is FindLog for a stream that cannot seek: it reads all of it.
func ReadLog(r io.Reader, name string) (*servicelog.Found, error) {
	return servicelog.ScanWith(r, name, func() servicelog.LineSink { return newLogParser(name) })
}

// logParser parses a traceback's lines as a servicelog.Locator finds
// them.
type logParser struct{ p *tracebackParser }

func newLogParser(name string) *logParser { return &logParser{newTracebackParser(name)} }

// Line implements servicelog.LineSink. The parser copies what it keeps
// of a line, so the line is read where it lies.
func (lp *logParser) Line(text []byte) {
	p := lp.p
	p.lineNo++
	p.size += int64(len(text)) + 1
	p.lastNL = true
	p.line(strings.TrimRight(unsafe.String(unsafe.SliceData(text), len(text)), "\r"))
}

// census ends the parse.
func (lp *logParser) census() *Census {
	lp.p.flush()
	lp.p.finish()
	return lp.p.c
}

// FromLog parses the last traceback a log held. A log of a service that
// crashed and was restarted holds one traceback per crash; the last is
// the incident, and a warning says how many the part read held.
func FromLog(f *servicelog.Found, name string) (*Census, error) {
	tb := f.Last
	if tb == nil {
		return nil, fmt.Errorf("%s: %w in the %s log (bytes %d to %d read)", name, ErrNoTraceback, f.Format, f.From, f.To)
	}
	var c *Census
	if lp, ok := tb.Sink.(*logParser); ok {
		c = lp.census()
	} else {
		var err error
		if c, err = parseTraceback(&chunkLines{chunks: tb.Chunks()}, name); err != nil {
			return nil, fmt.Errorf("traceback at offset %d: %w", tb.Offset, err)
		}
	}
	if len(c.Goroutines) == 0 && c.Crash == nil {
		return nil, fmt.Errorf("%s: traceback at offset %d lists no goroutine", name, tb.Offset)
	}
	if c.Crash != nil && c.Format == "debug2" {
		c.Format = "crash"
	}
	if tb.Cut {
		c.Complete = false
		c.Warnings = append(c.Warnings, fmt.Sprintf("traceback at offset %d is longer than %d MiB: read up to that, the rest of the goroutines are missing",
			tb.Offset, servicelog.MaxTraceback>>20))
	}
	if f.Tracebacks > 1 {
		where := "the log"
		if f.From > 0 {
			where = fmt.Sprintf("the last %d bytes of the log read", f.To-f.From)
		}
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s holds %d tracebacks (the process crashed or was dumped and restarted): this census is the last one, at offset %d",
			where, f.Tracebacks, tb.Offset))
	}
	return c, nil
}
