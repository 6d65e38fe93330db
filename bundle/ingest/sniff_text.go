package ingest

import (
	"bytes"
	"io"
	"unicode/utf8"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/gctrace"
	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/bundle/procfs"
	"github.com/coroner/coroner/bundle/servicelog"
	"github.com/coroner/coroner/bundle/symbolize"
	"github.com/coroner/coroner/bundle/texthead"
)

// A TextRecognizer tells whether a text file is in one format from its
// head, its first lines read once for all the rows (texthead.Read); it may
// read further (a dump's goroutines, a log's tail). Each reader package
// exports its own (goroutines.Recognize, gctrace.Recognize, …).
type TextRecognizer func(h *texthead.Head) (ok bool, attrs map[string]string)

// textFormat is one entry of the text sniffing table.
type textFormat struct {
	kind      bundle.Kind
	recognize TextRecognizer
}

// textFormats is the sniffing table of text files, tried in order until a
// row says yes. A goroutine dump or a gctrace log holds nothing but the
// runtime's output; the kernel's tables are told by their lines' shape; a
// service log holds the runtime's output among other lines, or is wrapped
// line by line, and is looked into by its tail, so it comes last.
var textFormats = []textFormat{
	{bundle.KindGoroutineDump, goroutines.Recognize},
	{bundle.KindGCTrace, gctrace.Recognize},
	{bundle.KindProcLimits, procfs.RecognizeLimits},
	{bundle.KindProcStatus, procfs.RecognizeStatus},
	{bundle.KindKallsyms, symbolize.RecognizeKallsyms},
	{bundle.KindProcMaps, procfs.RecognizeMaps},
	{bundle.KindLog, servicelog.Recognize},
}

// isText reports whether head looks like text: valid UTF-8 (allowing a
// rune cut at the end) without NUL bytes.
func isText(head []byte) bool {
	if len(head) == 0 || bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	for len(head) > 0 {
		r, n := utf8.DecodeRune(head)
		if r == utf8.RuneError && n <= 1 {
			return len(head) < utf8.UTFMax && !utf8.FullRune(head)
		}
		head = head[n:]
	}
	return true
}

// sniffText classifies a text artifact of size bytes whose first bytes
// are head by the text table. A log a host wrapped line by line
// (servicelog.Detect) is a log whatever its lines hold: only the last
// row, the service log's, is tried on it. Nothing past texthead.MaxScan
// from the start and servicelog.TailBytes from the end is read.
func sniffText(r io.ReaderAt, size int64, head []byte, quick bool) (bundle.Kind, map[string]string) {
	rows := textFormats
	if servicelog.Detect(head) != servicelog.Plain {
		rows = rows[len(rows)-1:]
	}
	h := texthead.Read(r, size, head, quick)
	for _, f := range rows {
		if ok, attrs := f.recognize(h); ok {
			return f.kind, attrs
		}
	}
	return bundle.KindOther, nil
}
