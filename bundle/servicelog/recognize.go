package servicelog

import (
	"bytes"
	"strconv"

	"github.com/coroner/coroner/bundle/texthead"
)

// Recognize is the sniffing row of service logs, tried after every other
// text format: a log a host wrapped line by line (Detect), or plain text
// with lines, holding the runtime's output in its tail. It surveys the
// last TailBytes, or, when h.Quick, reads only as far back as the last
// traceback needs (Find). attrs give the wrapper format, how many
// tracebacks (each a crash or a dump; more than one means restarts), the
// last one's first line and offset, and the gctrace lines. A log without
// runtime output is not one coroner reads.
func Recognize(h *texthead.Head) (bool, map[string]string) {
	if Detect(h.Bytes) == Plain && !hasText(h.Lines) {
		return false, nil
	}
	first := int64(TailBytes) // as Survey reads
	if h.Quick {
		first = firstWindow // as Find reads
	}
	// Only a traceback's first line and offset are kept: its text is not
	// copied.
	f, err := find(h.R, h.Size, "log", first, func() LineSink { return discardLines{} })
	if err != nil || !f.Runtime() {
		return false, nil
	}
	a := map[string]string{
		"log_format":    string(f.Format),
		"tracebacks":    strconv.Itoa(f.Tracebacks),
		"gctrace_lines": strconv.Itoa(f.GCTraceLines),
	}
	if f.From > 0 {
		a["read_from"] = strconv.FormatInt(f.From, 10)
	}
	if tb := f.Last; tb != nil {
		a["crash"] = texthead.Attr(tb.Line)
		a["crash_offset"] = strconv.FormatInt(tb.Offset, 10)
	}
	return true, a
}

// hasText reports whether any of lines is not blank.
func hasText(lines [][]byte) bool {
	for _, l := range lines {
		if len(bytes.TrimSpace(l)) > 0 {
			return true
		}
	}
	return false
}

// discardLines is a LineSink that keeps nothing.
type discardLines struct{}

func (discardLines) Line([]byte) {}
