package bundle

import (
	"bufio"
	"bytes"
	"io"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// Line shapes the Go runtime and the kernel print. Each is anchored to a
// whole line so that a log which merely mentions "goroutine" is not taken
// for a dump.
var (
	// runtime/traceback.go goroutineheader: "goroutine 1 [running]:", and
	// since Go 1.21 with GOTRACEBACK=system or crash
	// "goroutine 1 gp=0xc000002380 m=0 mp=0x… [running]:".
	reGoroutineHeader = regexp.MustCompile(`^goroutine [0-9]+ (?:gp=0x[0-9a-f]+ m=[0-9a-z]+ (?:mp=0x[0-9a-f]+ )?)?\[[^\]\n]+\]:$`)
	// runtime/pprof's goroutine profile with debug=1.
	reGoroutineProfile = regexp.MustCompile(`^goroutine profile: total [0-9]+$`)
	// runtime/mgc.go gcMarkTermination with GODEBUG=gctrace=1:
	// "gc 12 @3.456s 2%: 0.1+1.2+0.05 ms clock, …".
	reGCTrace = regexp.MustCompile(`^gc [0-9]+ @[0-9.]+s [0-9]+%: `)
	// /proc/kallsyms (kernel/kallsyms.c s_show): "ffffffff81000000 T _text".
	reKallsyms = regexp.MustCompile(`^[0-9a-f]{8,16} [A-Za-z?] \S+(\t\[\S+\])?$`)
	// /proc/PID/maps (fs/proc/task_mmu.c show_map_vma).
	reProcMaps = regexp.MustCompile(`^[0-9a-f]+-[0-9a-f]+ [r-][w-][x-][ps] [0-9a-f]+ [0-9a-f]+:[0-9a-f]+ [0-9]+`)
	// /proc/PID/limits header (fs/proc/base.c proc_pid_limits).
	reProcLimits = regexp.MustCompile(`^Limit +Soft Limit +Hard Limit +Units *$`)
	// A crash's first line (runtime/panic.go printpanics, fatal errors,
	// signal reports).
	reCrashLine = regexp.MustCompile(`^(panic: |fatal error: |SIG[A-Z]+: |unexpected fault address)`)
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

// sniffText classifies a text artifact by its lines. It scans the whole
// stream (counting dump headers or GC cycles) but decides the kind from the
// first textHeadLines lines.
func sniffText(r io.Reader) (Kind, map[string]string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxTextLine)
	var (
		n, goroutines, gcs, kall, maps int
		first, crash                   string
		profile, limits, status        bool
	)
	for sc.Scan() {
		line := sc.Bytes()
		n++
		if n == 1 {
			first = string(line)
		}
		switch {
		case reGoroutineHeader.Match(line):
			goroutines++
		case reGCTrace.Match(line):
			gcs++
		case crash == "" && reCrashLine.Match(line):
			crash = string(line)
		case n <= textHeadLines && reGoroutineProfile.Match(line):
			profile = true
		case n <= textHeadLines && reKallsyms.Match(line):
			kall++
		case n <= textHeadLines && reProcMaps.Match(line):
			maps++
		}
		if n == 1 {
			limits = reProcLimits.MatchString(first)
			status = bytes.HasPrefix(line, []byte("Name:\t"))
		}
		if n == textHeadLines && goroutines == 0 && gcs == 0 && !profile {
			break // a kernel table or unknown text: the head decides
		}
	}
	head := min(n, textHeadLines)
	switch {
	case goroutines > 0 || profile:
		a := map[string]string{"goroutines": strconv.Itoa(goroutines), "format": "traceback"}
		if profile {
			a["format"] = "debug1"
		}
		if crash != "" {
			a["crash"] = truncate(crash, 200)
		}
		if gcs > 0 {
			a["gctrace_lines"] = strconv.Itoa(gcs)
		}
		return KindGoroutineDump, a
	case gcs > 0:
		return KindGCTrace, map[string]string{"gc_cycles": strconv.Itoa(gcs)}
	case limits:
		return KindProcLimits, nil
	case status:
		return KindProcStatus, nil
	case head > 0 && kall == head:
		return KindKallsyms, nil
	case head > 0 && maps == head:
		return KindProcMaps, nil
	}
	return KindOther, nil
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
