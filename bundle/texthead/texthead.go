// Package texthead reads the start of a text file once for the text
// recognizers of the reader packages (goroutines, gctrace, procfs,
// symbolize, servicelog): its first lines, split once and shared by every
// recognizer tried, and the lines after them for a recognizer that must
// count past the head (a dump's goroutines, a gctrace log's cycles).
package texthead

import (
	"bufio"
	"io"
	"unicode/utf8"
)

// HeadLines is how many leading lines decide a text file's kind. The
// kernel's own formats (kallsyms, maps, limits, status) are recognizable
// from their first line; logs get this many to show a recognizable line.
const HeadLines = 200

// MaxScan bounds how much of a text file the head and Rest read line by
// line: runtime/pprof stops a goroutine?debug=2 dump at 64 MiB, so a
// dump's goroutines are counted whole; a log's runtime output is looked
// for in its tail (servicelog.Find) instead.
const MaxScan = 64 << 20

// MaxLine bounds a line; a longer one ends the scan, as no format
// recognized by its lines writes one.
const MaxLine = 64 << 10

// maxAttr bounds a line quoted in a manifest attribute (a crash's first
// line): enough for a panic message, short enough for a listing.
const maxAttr = 200

// Head is a text file's start as the text recognizers see it.
type Head struct {
	// Bytes are the file's first bytes as sniffing read them.
	Bytes []byte
	// Lines are the first HeadLines lines (fewer when the file or the scan
	// ends sooner), without their line endings.
	Lines [][]byte
	// R and Size are the whole file, for recognizers that read its tail.
	R    io.ReaderAt
	Size int64
	// Quick asks for a log's tail to be read only as far back as its last
	// traceback needs, for a command that reads the file once.
	Quick bool

	end  int64 // offset just past the last of Lines
	more bool  // Lines stopped at HeadLines, not at the end of the scan
}

// Read splits the first HeadLines lines of the file r of size bytes,
// whose first bytes are head.
func Read(r io.ReaderAt, size int64, head []byte, quick bool) *Head {
	h := &Head{Bytes: head, R: r, Size: size, Quick: quick}
	h.more = scan(r, 0, size, func(line []byte, end int64) bool {
		h.Lines = append(h.Lines, append([]byte(nil), line...))
		h.end = end
		return len(h.Lines) < HeadLines
	})
	return h
}

// Rest calls fn with each line after Lines, up to MaxScan bytes from the
// file's start, until fn returns false.
func (h *Head) Rest(fn func(line []byte) bool) {
	if !h.more {
		return
	}
	scan(h.R, h.end, h.Size, func(line []byte, _ int64) bool { return fn(line) })
}

// scan calls fn with each line of r from offset from, up to MaxScan from
// the start, and the offset just past it, until fn returns false; it
// reports whether fn stopped it.
func scan(r io.ReaderAt, from, size int64, fn func(line []byte, end int64) bool) bool {
	limit := min(size, MaxScan) - from
	if limit <= 0 {
		return false
	}
	end := from
	sc := bufio.NewScanner(io.NewSectionReader(r, from, limit))
	sc.Buffer(make([]byte, 0, 4096), MaxLine)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		adv, tok, err := bufio.ScanLines(data, atEOF)
		end += int64(adv)
		return adv, tok, err
	})
	for sc.Scan() {
		if !fn(sc.Bytes(), end) {
			return true
		}
	}
	return false
}

// Attr bounds a line quoted in a manifest attribute to maxAttr bytes, cut
// on a rune boundary.
func Attr(s string) string {
	if len(s) <= maxAttr {
		return s
	}
	n := maxAttr
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// AllLines reports whether the head has lines and every one satisfies
// match: how a kernel table (kallsyms, /proc/PID/maps) is told, by its
// lines' shape.
func AllLines(h *Head, match func(line []byte) bool) bool {
	for _, line := range h.Lines {
		if !match(line) {
			return false
		}
	}
	return len(h.Lines) > 0
}
