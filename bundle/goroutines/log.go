package goroutines

import (
	"errors"
	"fmt"
	"io"

	"github.com/coroner/coroner/bundle/servicelog"
)

// ErrNoTraceback is wrapped by the error for a log with no traceback in
// the part read: a log of a service that neither crashed nor was dumped.
var ErrNoTraceback = errors.New("no Go traceback")

// ParseLog reads the census from a service log of size bytes: the last
// traceback in its tail (servicelog.Find), unwrapped from whatever
// wrapped the log. name labels errors and the census's Source.
func ParseLog(r io.ReaderAt, size int64, name string) (*Census, error) {
	f, err := servicelog.Find(r, size, name)
	if err != nil {
		return nil, err
	}
	return FromLog(f, name)
}

// ScanLog is ParseLog for a stream that cannot seek: it reads all of it.
func ScanLog(r io.Reader, name string) (*Census, error) {
	f, err := servicelog.Scan(r, name)
	if err != nil {
		return nil, err
	}
	return FromLog(f, name)
}

// FromLog parses the last traceback a log held. A log of a service that
// crashed and was restarted holds one traceback per crash; the last is
// the incident, and a warning says how many the part read held.
func FromLog(f *servicelog.Found, name string) (*Census, error) {
	tb := f.Last
	if tb == nil {
		return nil, fmt.Errorf("%s: %w in the %s log (bytes %d to %d read)", name, ErrNoTraceback, f.Format, f.From, f.To)
	}
	c, err := parseTraceback(&chunkLines{chunks: tb.Chunks()}, name)
	if err != nil {
		return nil, fmt.Errorf("traceback at offset %d: %w", tb.Offset, err)
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
