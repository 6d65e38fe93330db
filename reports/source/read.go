package source

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Bounds on reading a source file.
const (
	// maxScanBytes bounds how far into a file reading goes: the largest Go
	// files in the Go tree and common modules (generated tables, such as
	// golang.org/x/text's) are a few MiB, so a file read past 64 MiB is not
	// source code and its line count is left unknown.
	maxScanBytes = 64 << 20
	// maxLineBytes is how much of one line a listing keeps; gofmt'd code
	// stays far below, and a longer line is data or minified text, cut and
	// marked.
	maxLineBytes = 512
)

// span is an inclusive range of line numbers to keep.
type span struct{ from, to int }

// window holds the lines read from a file.
type window struct {
	text map[int]string
	// lines is how many lines the file has, when reading reached its end
	// (known); otherwise at least that many.
	lines int
	known bool
}

// readWindow reads r line by line, keeping the lines in spans (sorted,
// non-overlapping) and going on to line need at most, so that a file
// shorter than need is seen to be. Memory stays bounded by the kept lines
// whatever the file's size or line lengths.
func readWindow(r io.Reader, spans []span, need int) (*window, error) {
	w := &window{text: map[int]string{}}
	br := bufio.NewReaderSize(r, 64<<10)
	var read int64
	last := need
	for _, s := range spans {
		last = max(last, s.to)
	}
	si := 0
	for n := 1; n <= last; n++ {
		keep := false
		for si < len(spans) && spans[si].to < n {
			si++
		}
		if si < len(spans) && spans[si].from <= n {
			keep = true
		}
		line, size, eof, err := readLine(br, keep)
		read += size
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if eof && size == 0 {
			w.lines, w.known = n-1, true
			return w, nil
		}
		if keep {
			w.text[n] = line
		}
		w.lines = n
		if eof {
			w.known = true
			return w, nil
		}
		if read > maxScanBytes {
			return w, nil
		}
	}
	return w, nil
}

// readLine reads one line, returning its text (when keep; at most
// maxLineBytes, cut at a rune boundary and marked), the bytes consumed,
// and whether the file ended.
func readLine(br *bufio.Reader, keep bool) (string, int64, bool, error) {
	var b strings.Builder
	var size int64
	cut := false
	for {
		chunk, err := br.ReadSlice('\n')
		size += int64(len(chunk))
		if keep && !cut {
			room := maxLineBytes - b.Len()
			if len(chunk) > room {
				b.Write(chunk[:room])
				cut = true
			} else {
				b.Write(chunk)
			}
		}
		switch {
		case err == nil:
			return finish(b.String(), cut), size, false, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return finish(b.String(), cut), size, true, nil
		default:
			return "", size, false, err
		}
	}
}

// finish drops the line ending and marks a cut line, keeping whole runes.
func finish(s string, cut bool) string {
	s = strings.TrimSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\r")
	if !cut {
		return s
	}
	// A cut inside a multi-byte rune leaves at most UTFMax-1 stray bytes.
	for i := 0; i < utf8.UTFMax-1 && len(s) > 0; i++ {
		if r, n := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || n != 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s + "…"
}
