package ingest

import (
	"bufio"
	"bytes"
	"io"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/gctrace"
	"github.com/coroner/coroner/bundle/servicelog"
)

// Line shapes the Go runtime and the kernel print. Each is anchored to a
// whole line so that a log which merely mentions "goroutine" is not taken
// for a dump.
var (
	// runtime/pprof's goroutine profile with debug=1.
	reGoroutineProfile = regexp.MustCompile(`^goroutine profile: total [0-9]+$`)
	// /proc/kallsyms (kernel/kallsyms.c s_show): "ffffffff81000000 T _text".
	reKallsyms = regexp.MustCompile(`^[0-9a-f]{8,16} [A-Za-z?] \S+(\t\[\S+\])?$`)
	// /proc/PID/maps (fs/proc/task_mmu.c show_map_vma).
	reProcMaps = regexp.MustCompile(`^[0-9a-f]+-[0-9a-f]+ [r-][w-][x-][ps] [0-9a-f]+ [0-9a-f]+:[0-9a-f]+ [0-9]+`)
	// /proc/PID/limits header (fs/proc/base.c proc_pid_limits).
	reProcLimits = regexp.MustCompile(`^Limit +Soft Limit +Hard Limit +Units *$`)
	// An environment entry, as in /proc/PID/environ.
	reEnvEntry = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
)

// textHeadLines is how many leading lines decide a text file's kind. The
// kernel's own formats (kallsyms, maps, limits, status) are recognizable
// from their first line; logs get this many to show a recognizable line.
const textHeadLines = 200

// maxTextLine bounds a line while scanning text; longer lines are split,
// which no format recognized here produces.
const maxTextLine = 64 << 10

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

// sniffEnviron recognizes NUL-separated KEY=VALUE entries.
func sniffEnviron(head []byte) bool {
	if len(head) == 0 || head[len(head)-1] != 0 && len(head) < 4096 {
		return false
	}
	parts := bytes.Split(bytes.TrimRight(head, "\x00"), []byte{0})
	if len(head) >= 4096 {
		parts = parts[:len(parts)-1] // last entry may be cut
	}
	if len(parts) == 0 {
		return false
	}
	for _, p := range parts {
		if !reEnvEntry.Match(p) || !utf8.Valid(p) {
			return false
		}
	}
	return true
}

// maxTextScan bounds how much of a text file sniffing reads line by line:
// runtime/pprof stops a goroutine?debug=2 dump at 64 MiB, so a dump's
// goroutines are counted whole; a log's runtime output is looked for in
// its tail (servicelog.Find) instead.
const maxTextScan = 64 << 20

// textLines is what a line-by-line scan of a text file's start saw.
type textLines struct {
	n, goroutines, gcs, kall, maps int
	// foreign counts non-blank lines that are neither gctrace nor any
	// line the runtime prints in a traceback: an application's.
	foreign                 int
	first, crash            string
	opensDump               bool
	profile, limits, status bool
}

// scanText reads the first maxTextScan bytes of r line by line, stopping
// after textHeadLines unless they hold nothing but the runtime's output
// (a dump or a gctrace log, whose goroutines and cycles are counted).
func scanText(r io.Reader) textLines {
	sc := bufio.NewScanner(io.LimitReader(r, maxTextScan))
	sc.Buffer(make([]byte, 0, 4096), maxTextLine)
	var t textLines
	for sc.Scan() {
		line := sc.Bytes()
		t.n++
		if t.n == 1 {
			t.first = string(line)
			t.limits = reProcLimits.MatchString(t.first)
			t.status = bytes.HasPrefix(line, []byte("Name:\t"))
		}
		if len(bytes.TrimSpace(line)) > 0 && t.goroutines+t.gcs+t.foreign == 0 && !t.opensDump && t.n <= textHeadLines {
			t.opensDump = opensDump(line)
		}
		switch {
		case servicelog.IsGoroutineHeader(line):
			t.goroutines++
		case gctrace.Opens(line):
			t.gcs++
		case t.crash == "" && servicelog.IsStart(line):
			t.crash = string(line)
		case t.n <= textHeadLines && reGoroutineProfile.Match(line):
			t.profile = true
		case t.n <= textHeadLines && reKallsyms.Match(line):
			t.kall++
		case t.n <= textHeadLines && reProcMaps.Match(line):
			t.maps++
		case len(bytes.TrimSpace(line)) > 0 && !servicelog.IsRuntimeLine(line):
			t.foreign++
		}
		if t.n == textHeadLines && (t.goroutines == 0 && t.gcs == 0 && !t.profile && !t.opensDump || t.foreign > 0 && !t.profile) {
			// A kernel table, unknown text, or a log (the runtime's output
			// among other lines, looked for in the tail): the head decides.
			break
		}
	}
	return t
}

// opensDump reports a first line that begins a goroutine dump: a header,
// a debug=1 profile's, a crash's or SIGQUIT's first line, or the
// runtime's diagnostics before a fatal error.
func opensDump(line []byte) bool {
	return servicelog.IsGoroutineHeader(line) || reGoroutineProfile.Match(line) ||
		servicelog.IsStart(line) || bytes.HasPrefix(line, []byte("runtime: "))
}

// sniffText classifies a text artifact of size bytes whose first bytes
// are head. A goroutine dump or a gctrace log holds nothing but the
// runtime's output; a service log holds the runtime's output among other
// lines, or is wrapped line by line (servicelog.Detect), and is looked
// into by its tail (see sniffLog). Nothing past maxTextScan from the start
// and servicelog.TailBytes from the end is read.
func sniffText(r io.ReaderAt, size int64, head []byte, quick bool) (bundle.Kind, map[string]string) {
	if servicelog.Detect(head) != servicelog.Plain {
		return sniffLog(r, size, quick)
	}
	t := scanText(io.NewSectionReader(r, 0, size))
	nh := min(t.n, textHeadLines)
	switch {
	case t.profile || t.opensDump && (t.foreign == 0 && t.gcs == 0 || t.crash == ""):
		a := map[string]string{"goroutines": strconv.Itoa(t.goroutines), "format": "traceback"}
		if t.profile {
			a["format"] = "debug1"
		}
		if t.crash != "" {
			a["crash"] = truncate(t.crash, 200)
		}
		if t.gcs > 0 {
			a["gctrace_lines"] = strconv.Itoa(t.gcs)
		}
		return bundle.KindGoroutineDump, a
	case t.gcs > 0 && t.goroutines == 0 && t.foreign == 0:
		return bundle.KindGCTrace, map[string]string{"gc_cycles": strconv.Itoa(t.gcs)}
	case t.limits:
		return bundle.KindProcLimits, nil
	case t.status:
		return bundle.KindProcStatus, nil
	case nh > 0 && t.kall == nh:
		return bundle.KindKallsyms, nil
	case nh > 0 && t.maps == nh:
		return bundle.KindProcMaps, nil
	case t.gcs > 0 || t.goroutines > 0 || t.crash != "" || t.foreign > 0:
		return sniffLog(r, size, quick)
	}
	return bundle.KindOther, nil
}

// sniffLog describes a service log by the runtime output in its tail:
// its wrapper format, how many tracebacks (each a crash or a dump; more
// than one means restarts), the last one's first line and offset, and the
// gctrace lines. It surveys the last servicelog.TailBytes, or, when quick,
// reads only as far back as the last traceback needs (servicelog.Find).
// A log without runtime output is not one coroner reads.
func sniffLog(r io.ReaderAt, size int64, quick bool) (bundle.Kind, map[string]string) {
	find := servicelog.Survey
	if quick {
		find = servicelog.Find
	}
	f, err := find(r, size, "log")
	if err != nil || !f.Runtime() {
		return bundle.KindOther, nil
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
		a["crash"] = truncate(tb.Line, 200)
		a["crash_offset"] = strconv.FormatInt(tb.Offset, 10)
	}
	return bundle.KindLog, a
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
