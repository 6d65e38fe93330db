package servicelog

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// HeadBytes is how much of a log's start Detect reads: detectLines lines
// of the longest wrapper records (16 KiB CRI or Docker fragments) would
// need more, but a few dozen ordinary lines fit many times over.
const HeadBytes = 64 << 10

// TailBytes is the most of a log's end Find reads for the runtime's
// output: as much as the longest traceback kept whole (MaxTraceback), so
// a crash whose traceback runtime/pprof could have given whole is read
// whole when nothing follows it.
const TailBytes = MaxTraceback

// maxBackRead bounds how far back from a log's end Find reads for the
// start of a traceback it found itself inside: four times the longest
// traceback kept (MaxTraceback), the traceback of about half a million
// goroutines at the 500 bytes each firstWindow's comment counts.
const maxBackRead = 4 * MaxTraceback

// firstWindow is the part of a log's end Find reads first. A panic's
// traceback under the default GOTRACEBACK=single is a few KiB, and one
// listing all goroutines takes about 500 bytes per goroutine (header and
// a handful of frames), so a service of a couple of thousand goroutines
// has its crash in the last MiB; a longer one is found by reading four
// times as far back, up to TailBytes.
const firstWindow = 1 << 20

// Find reads the end of a log of size bytes, from the start of a line,
// and returns the runtime output there: first the last MiB, then four
// times as much back until the last traceback is whole in what it read
// (its first line seen, and not in the middle of a longer traceback), at
// most TailBytes, or maxBackRead while what it read began inside a
// traceback; a log no longer than what it reads is read whole. The
// counts in Found are of the part read (From to To). The wrapper format
// is detected from the head. name labels errors.
func Find(r io.ReaderAt, size int64, name string) (*Found, error) {
	return find(r, size, name, firstWindow, nil)
}

// FindWith is Find giving each traceback's lines, as it reads them, to a
// sink newSink makes when the traceback starts (Traceback.Sink), instead
// of keeping their text.
func FindWith(r io.ReaderAt, size int64, name string, newSink func() LineSink) (*Found, error) {
	return find(r, size, name, firstWindow, newSink)
}

// Survey is Find reading the last TailBytes at once: every traceback there
// is counted, so restarts long before the last crash are too. Ingest,
// which reads the whole log anyway, describes a log by it.
func Survey(r io.ReaderAt, size int64, name string) (*Found, error) {
	return find(r, size, name, TailBytes, nil)
}

// find reads back from the end, first window bytes, then four times as
// far each time (sixteen while inside a traceback), until the last
// traceback is whole or TailBytes (maxBackRead inside one) are read.
func find(r io.ReaderAt, size int64, name string, first int64, newSink func() LineSink) (*Found, error) {
	head := make([]byte, min(size, HeadBytes))
	n, err := r.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: reading the head: %w", name, err)
	}
	f := Detect(head[:n])
	window, limit := first, int64(TailBytes)
	for {
		window = min(window, limit)
		from := max(0, size-window)
		lines := NewLines(io.NewSectionReader(r, from, size-from), f, from, name)
		if from > 0 {
			if err := lines.SkipPartial(); err != nil {
				return nil, err
			}
		}
		found, err := locate(lines, newSink)
		if err != nil {
			return nil, err
		}
		found.Format, found.From, found.To = f, from, size
		switch {
		case from == 0, window >= maxBackRead:
			return found, nil
		case found.InsideEnd:
			// The read began inside the last traceback: its first line,
			// which says what happened, lies further back. The start is
			// far back more often than not (a traceback listing all
			// goroutines is about 500 bytes each): the read grows faster,
			// so the end is not read again too many times.
			window, limit = window*16, maxBackRead
		case found.Last != nil, window >= TailBytes:
			return found, nil
		default:
			window, limit = window*4, TailBytes
		}
	}
}

// Scan reads a whole log from r, detecting its format from the head, and
// returns the runtime output in it: for streams that cannot seek.
func Scan(r io.Reader, name string) (*Found, error) {
	return ScanWith(r, name, nil)
}

// ScanWith is Scan giving tracebacks' lines to sinks, as FindWith does.
func ScanWith(r io.Reader, name string, newSink func() LineSink) (*Found, error) {
	br, f, err := detectStream(r, name)
	if err != nil {
		return nil, err
	}
	lines := NewLines(br, f, 0, name)
	found, err := locate(lines, newSink)
	if err != nil {
		return nil, err
	}
	found.Format, found.To = f, lines.off
	return found, nil
}

// detectStream peeks at the head of r to tell its format.
func detectStream(r io.Reader, name string) (*bufio.Reader, Format, error) {
	br := bufio.NewReaderSize(r, HeadBytes)
	head, err := br.Peek(HeadBytes)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, "", fmt.Errorf("%s: reading the head: %w", name, err)
	}
	return br, Detect(head), nil
}

func locate(lines *Lines, newSink func() LineSink) (*Found, error) {
	loc := Locator{NewSink: newSink}
	for {
		ln, err := lines.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		loc.Line(ln)
	}
	found := loc.Finish()
	found.CutLines = lines.Cut
	return found, nil
}
