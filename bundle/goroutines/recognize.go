package goroutines

import (
	"bytes"
	"regexp"
	"strconv"

	"github.com/coroner/coroner/bundle/gctrace"
	"github.com/coroner/coroner/bundle/servicelog"
	"github.com/coroner/coroner/bundle/texthead"
)

// reProfileHeader is the first line of runtime/pprof's goroutine profile
// with debug=1 (pprof.go writeRuntimeProfile / printCountProfile).
var reProfileHeader = regexp.MustCompile(`^goroutine profile: total [0-9]+$`)

// Recognize is the sniffing row of goroutine dumps: a debug=1 goroutine
// profile, or text that opens as a dump does and holds nothing but the
// runtime's output (a SIGQUIT dump, debug=2, a crash's traceback), or
// opens so and never crashes. A dump's goroutines are counted whole (up
// to texthead.MaxScan); attrs give the count, the format ("traceback",
// "debug1"), the crash's first line and any gctrace lines among them.
func Recognize(h *texthead.Head) (bool, map[string]string) {
	var t dumpTally
	more := true
	for _, line := range h.Lines {
		if more = t.add(line); !more {
			break
		}
	}
	if !t.profile && !t.opens {
		return false, nil // both are decided by the head alone
	}
	if more {
		h.Rest(t.add)
	}
	if !t.profile && (t.foreign > 0 || t.gcs > 0) && t.crash != "" {
		return false, nil // a log: the runtime's output among other lines
	}
	a := map[string]string{"goroutines": strconv.Itoa(t.goroutines), "format": "traceback"}
	if t.profile {
		a["format"] = "debug1"
	}
	if t.crash != "" {
		a["crash"] = texthead.Attr(t.crash)
	}
	if t.gcs > 0 {
		a["gctrace_lines"] = strconv.Itoa(t.gcs)
	}
	return true, a
}

// dumpTally is what the lines of a text file show of a dump.
type dumpTally struct {
	n, goroutines, gcs int
	// foreign counts non-blank lines that are neither gctrace nor any
	// line the runtime prints in a traceback: an application's.
	foreign int
	crash   string
	// opens is set when the first non-blank line opens a dump; profile
	// when a head line is a debug=1 profile's header.
	opens, profile bool
}

// add counts one line and reports whether the lines after it matter: past
// the head, only for a file holding nothing but the runtime's output.
func (t *dumpTally) add(line []byte) bool {
	t.n++
	blank := len(bytes.TrimSpace(line)) == 0
	if !blank && t.goroutines+t.gcs+t.foreign == 0 && !t.opens && t.n <= texthead.HeadLines {
		t.opens = opensDump(line)
	}
	switch {
	case servicelog.IsGoroutineHeader(line):
		t.goroutines++
	case gctrace.Opens(line):
		t.gcs++
	case t.crash == "" && servicelog.IsStart(line):
		t.crash = string(line)
	case t.n <= texthead.HeadLines && reProfileHeader.Match(line):
		t.profile = true
	case !blank && !servicelog.IsRuntimeLine(line):
		t.foreign++
	}
	return t.n != texthead.HeadLines ||
		!(t.goroutines == 0 && t.gcs == 0 && !t.profile && !t.opens || t.foreign > 0 && !t.profile)
}

// opensDump reports a first line that begins a goroutine dump: a header,
// a debug=1 profile's, a crash's or SIGQUIT's first line, or the
// runtime's diagnostics before a fatal error.
func opensDump(line []byte) bool {
	return servicelog.IsGoroutineHeader(line) || reProfileHeader.Match(line) ||
		servicelog.IsStart(line) || bytes.HasPrefix(line, []byte("runtime: "))
}
