package goroutines

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/coroner/coroner/bundle/servicelog"
)

// maxLine bounds one line of a text dump. Function names with long generic
// instantiations and argument lists stay far below it; a longer line is not
// a goroutine dump.
const maxLine = 1 << 20

// pprofDebug2Cap is the size at which runtime/pprof stops growing its
// buffer for goroutine?debug=2 (writeGoroutineStacks: "Filled 64 MB - stop
// there"); output of exactly this size was cut.
const pprofDebug2Cap = 64 << 20

// gStatuses are the goroutine states the runtime prints verbatim
// (runtime.gStatusStrings); any other bracketed word is a wait reason of a
// waiting goroutine.
var gStatuses = map[string]bool{
	"idle": true, "runnable": true, "running": true, "syscall": true, "waiting": true,
	"dead": true, "copystack": true, "preempted": true, "leaked": true, "???": true,
}

// tracebackParser reads the runtime's traceback format: SIGQUIT output,
// crash output under any GOTRACEBACK level, and pprof goroutine?debug=2.
// A line it is given may be overwritten once it returns: whatever it
// keeps, it copies or interns (interner.s).
type tracebackParser struct {
	c       *Census
	in      *interner
	gs      chunked // the goroutines read, moved to c by finish
	cur     *Goroutine
	pending string // function line awaiting its file line, interned
	created bool   // pending is a "created by" line
	lineNo  int
	crashed bool // a panic/fatal error header was seen; next goroutine crashed
	// panicCont is set after the line of the panic whose value the census
	// keeps, and after each line continuing that value.
	panicCont bool
	stack     bool // inside a "runtime stack:" block not owned by a goroutine
	size      int64
	lastNL    bool
	// seen drops a goroutine printed twice (a crash log holding both the
	// panic's traceback and the signal handler's dump lists each again).
	seen idSet
	// stacks shares equal stacks between goroutines; scratch is the
	// buffer the current goroutine's frames are gathered in.
	stacks  stackInterner
	scratch []Frame
}

func parseTraceback(lines lineSource, name string) (*Census, error) {
	p := newTracebackParser(name)
	for {
		line, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", name, p.lineNo+1, err)
		}
		p.lineNo++
		p.line(line)
	}
	p.size, p.lastNL = lines.read()
	p.flush()
	p.finish()
	return p.c, nil
}

func newTracebackParser(name string) *tracebackParser {
	return &tracebackParser{c: &Census{Source: name, Format: "debug2", Complete: true}, in: newInterner()}
}

func (p *tracebackParser) line(line string) {
	cont := p.panicCont
	p.panicCont = false
	switch {
	case cont && strings.HasPrefix(line, "\t") && !strings.HasPrefix(line, "\tpanic: "):
		// The runtime prints a panic value's every newline followed by a
		// tab (error.go printindented): the value goes on.
		p.c.Crash.Message = cleanPanic(p.c.Crash.Message + "\n" + line[1:])
		p.panicCont = true
	case strings.HasPrefix(line, "goroutine ") && strings.HasSuffix(line, "]:"):
		p.flush()
		p.stack = false
		if g, ok := parseHeader(line); ok {
			g.Status, g.WaitReason = p.in.s(g.Status), p.in.s(g.WaitReason)
			if p.crashed {
				g.Crashed = true
				p.crashed = false
				if p.c.Crash != nil {
					p.c.Crash.GoroutineID = g.ID
				}
			}
			g.Frames = p.scratch[:0]
			// Read in place, in the slot it is kept in.
			p.cur = p.gs.next()
			*p.cur = g
			if strings.Contains(line, " gp=") && p.c.Format == "debug2" {
				p.c.Format = "crash"
			}
		}
	case line == "runtime stack:":
		p.flush()
		p.stack = true
	case strings.HasPrefix(line, "\t"):
		p.fileLine(line[1:])
	case line == "":
		p.flush()
	case p.cur != nil && !p.stack:
		p.funcLine(line)
	default:
		p.preamble(line)
	}
}

// preamble reads lines before and between goroutines: the panic or fatal
// error message and the signal description.
func (p *tracebackParser) preamble(line string) {
	crash := func() *Crash {
		if p.c.Crash == nil {
			p.c.Crash = &Crash{}
		}
		return p.c.Crash
	}
	switch {
	case strings.HasPrefix(line, "panic: "):
		c := crash()
		if c.Kind == "" {
			c.Kind, c.Message = "panic", strings.Clone(cleanPanic(strings.TrimPrefix(line, "panic: ")))
			p.panicCont = true
		}
		p.crashed = true
	case strings.HasPrefix(line, "fatal error: "):
		c := crash()
		c.Kind, c.Message = "fatal error", strings.Clone(strings.TrimPrefix(line, "fatal error: "))
		p.crashed = true
	case strings.HasPrefix(line, "[signal "):
		c := crash()
		parseSignalLine(c, line)
	case strings.HasPrefix(line, "PC=") && p.c.Crash != nil:
		parsePCLine(p.c.Crash, line)
	case servicelog.IsSignalBanner([]byte(strings.TrimPrefix(line, ttyQuitEcho))):
		line = strings.TrimPrefix(line, ttyQuitEcho)
		c := crash()
		if c.Kind == "" {
			c.Kind = "signal"
		}
		if c.Signal == "" {
			c.Signal = strings.Clone(line[:strings.IndexByte(line, ':')])
		}
		if p.c.Format == "debug2" {
			p.c.Format = "sigquit"
		}
	}
}

// ttyQuitEcho is how a terminal echoes Ctrl-\ (ECHOCTL, on by default):
// on a terminal, the runtime's SIGQUIT banner follows it on the same line.
const ttyQuitEcho = `^\`

// cleanPanic drops the " [recovered]" and goexit decorations.
func cleanPanic(s string) string {
	for _, suf := range []string{" [recovered, repanicked]", " [recovered]"} {
		s = strings.TrimSuffix(s, suf)
	}
	return s
}

// parseSignalLine reads "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x49e52a]".
func parseSignalLine(c *Crash, line string) {
	body := strings.TrimSuffix(strings.TrimPrefix(line, "[signal "), "]")
	if i := strings.IndexByte(body, ':'); i > 0 {
		c.Signal = strings.Clone(body[:i])
	}
	for _, f := range strings.Fields(body) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		switch k {
		case "code":
			c.Code = strings.Clone(v)
		case "addr":
			c.FaultAddr, _ = strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 64)
		case "pc":
			c.PC, _ = strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 64)
		}
	}
}

// parsePCLine reads "PC=0x47f4e1 m=0 sigcode=0 addr=0x0".
func parsePCLine(c *Crash, line string) {
	for _, f := range strings.Fields(line) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "PC":
			if c.PC == 0 {
				c.PC, _ = strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 64)
			}
		case "sigcode":
			if c.Code == "" {
				c.Code = strings.Clone(v)
			}
		case "addr":
			if c.FaultAddr == 0 {
				c.FaultAddr, _ = strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 64)
			}
		}
	}
}

// parseHeader reads "goroutine 7 gp=0x… m=nil [chan receive, 5 minutes, locked to thread]:".
func parseHeader(line string) (Goroutine, bool) {
	open := strings.IndexByte(line, '[')
	if open < 0 {
		return Goroutine{}, false
	}
	// The first of strings.Fields, without making them all.
	head := strings.TrimLeftFunc(line[len("goroutine "):open], unicode.IsSpace)
	if i := strings.IndexFunc(head, unicode.IsSpace); i >= 0 {
		head = head[:i]
	}
	if head == "" {
		return Goroutine{}, false
	}
	id, err := strconv.ParseInt(head, 10, 64)
	if err != nil || id < 0 {
		return Goroutine{}, false
	}
	g := Goroutine{ID: id, WaitMinutes: -1, Count: 1}
	parseState(&g, line[open+1:len(line)-2])
	return g, true
}

// parseState splits the bracketed state into status, wait reason and minutes.
func parseState(g *Goroutine, s string) {
	first, rest, more := strings.Cut(s, ", ")
	st := strings.TrimSuffix(first, " (scan)")
	st = strings.TrimSuffix(st, " (durable)")
	if gStatuses[st] {
		g.Status = st
	} else {
		g.Status, g.WaitReason = "waiting", st
		g.WaitMinutes = 0
	}
	for more {
		var p string
		p, rest, more = strings.Cut(rest, ", ")
		if n, ok := strings.CutSuffix(p, " minutes"); ok {
			if m, err := strconv.Atoi(n); err == nil && m >= 0 {
				g.WaitMinutes = m
			}
		}
	}
}

// funcLine records a frame's function line, or a "created by" line.
func (p *tracebackParser) funcLine(line string) {
	p.flushFrame()
	if rest, ok := strings.CutPrefix(line, "created by "); ok {
		fn, gid, _ := strings.Cut(rest, " in goroutine ")
		if id, err := strconv.ParseInt(gid, 10, 64); err == nil {
			p.cur.CreatorID = id
		}
		p.pending, p.created = p.in.s(fn), true
		return
	}
	if strings.HasPrefix(line, "...") || strings.HasPrefix(line, "goroutine running on other thread") {
		return
	}
	p.pending, p.created = p.in.s(funcName(line)), false
}

// fileLine completes the pending frame with "file.go:12 +0x2a fp=… sp=… pc=…".
func (p *tracebackParser) fileLine(s string) {
	if p.cur == nil || p.pending == "" {
		return
	}
	file, line := splitFileLine(s)
	f := Frame{Func: p.pending, File: p.in.s(file), Line: line}
	if p.created {
		p.cur.CreatedBy = p.stacks.creator(f)
	} else {
		f.Inlined = !strings.Contains(s, " +0x") && !strings.HasSuffix(p.pending, ".goexit")
		p.cur.Frames = append(p.cur.Frames, f)
	}
	p.pending = ""
}

// flushFrame keeps a function line that had no file line.
func (p *tracebackParser) flushFrame() {
	if p.cur != nil && p.pending != "" && !p.created {
		p.cur.Frames = append(p.cur.Frames, Frame{Func: p.pending})
	}
	p.pending = ""
}

func (p *tracebackParser) flush() {
	p.flushFrame()
	if p.cur != nil {
		p.scratch = p.cur.Frames[:0]
		if p.cur.ID > 0 && p.seen.has(p.cur.ID) {
			p.cur = nil
			return
		}
		p.cur.Frames = p.stacks.frames(p.cur.Frames)
		p.seen.add(p.cur.ID)
		p.cur.System = IsSystem(p.cur)
		p.gs.keep()
		p.cur = nil
	}
}

// finish decides whether the dump was cut: a debug=2 dump of exactly
// 64 MiB, or one that ends without a newline in the middle of a frame.
func (p *tracebackParser) finish() {
	p.c.Goroutines = p.gs.slice()
	if p.size == pprofDebug2Cap || (p.size > 0 && !p.lastNL) {
		p.c.Complete = false
		p.c.Warnings = append(p.c.Warnings, fmt.Sprintf(
			"dump ends mid-frame after %d bytes and %d goroutines: cut short (runtime/pprof stops goroutine?debug=2 at 64 MiB); prefer debug=1, the binary goroutine profile, a crash log or the core",
			p.size, len(p.c.Goroutines)))
		if p.size == pprofDebug2Cap && len(p.c.Goroutines) > 0 && p.lastNL {
			// The last goroutine may be missing frames: drop it.
			p.c.Goroutines = p.c.Goroutines[:len(p.c.Goroutines)-1]
		} else if !p.lastNL && len(p.c.Goroutines) > 0 {
			p.c.Goroutines = p.c.Goroutines[:len(p.c.Goroutines)-1]
		}
	}
	if p.c.Crash != nil && p.c.Crash.Kind == "" {
		p.c.Crash.Kind = "signal"
	}
	if r := p.requested(); r != nil {
		p.c.Format, p.c.Crash, p.c.Requested = "sigquit", nil, r
	}
	if p.c.Crash != nil && p.c.Crash.Kind != "signal" && len(p.c.Goroutines) == 1 && p.c.Goroutines[0].Crashed {
		// GOTRACEBACK=single (the default) prints only the goroutine that
		// crashed; under all, system or crash at least one more is listed
		// in any real program.
		p.c.Complete = false
		p.c.Warnings = append(p.c.Warnings, "crash output lists only the crashing goroutine (GOTRACEBACK=single, the default): no census of the others; run with GOTRACEBACK=all or crash")
	}
	for i := range p.c.Goroutines {
		if p.c.Goroutines[i].Crashed && p.c.Crash != nil && p.c.Crash.Site == nil {
			p.c.Crash.Site = CrashSite(p.c.Goroutines[i].Frames)
		}
	}
}

// requested decides whether the dump is one someone asked for, from the
// header the runtime's signal handler printed (runtime.fatalsignal:
// "SIGABRT: abort" then "PC=0x… m=N sigcode=C"): a signal with no panic or
// fatal error text, whose code says another process sent it
// (SentFromOutside; the header does not name the sender), and no goroutine
// inside panic or throw. A SIGQUIT header without its PC line still
// counts: the runtime raises SIGQUIT at itself only to make its other
// threads print their stacks, after the first thread's header.
func (p *tracebackParser) requested() *Requested {
	cr := p.c.Crash
	if cr == nil || cr.Kind != "signal" || cr.Message != "" || cr.Signal == "" || p.c.Panicking() != nil {
		return nil
	}
	code, known := sigcode(cr.Code)
	switch {
	case known && SentFromOutside(cr.Signal, code, -1, -1):
		return &Requested{Signal: cr.Signal, Code: CodeName(code), SenderPID: -1,
			Evidence: fmt.Sprintf("the runtime's header %s with sigcode=%d (%s: sent by a process, not a fault), no panic or fatal error text, and no goroutine in panic or throw",
				cr.Signal, code, CodeName(code))}
	case !known && cr.Signal == "SIGQUIT":
		return &Requested{Signal: cr.Signal, SenderPID: -1,
			Evidence: "the runtime's header SIGQUIT (no sigcode line), no panic or fatal error text, and no goroutine in panic or throw"}
	}
	return nil
}

// sigcode reads the header's sigcode: the runtime prints si_code, an
// int32, converted to uint64 (sigctxt.sigcode), so SI_TKILL (-6) reads
// 18446744073709551610.
func sigcode(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 0, 32); err == nil {
		return int(n), true
	}
	u, err := strconv.ParseUint(s, 0, 64)
	if err != nil || u < 1<<64-1<<31 { // not a sign-extended int32
		return 0, false
	}
	return int(int32(uint32(u))), true
}

// funcName strips the argument list from "pkg.(*T).M[...](0x1, {…})".
func funcName(line string) string {
	if !strings.HasSuffix(line, ")") {
		return line
	}
	depth := 0
	for i := len(line) - 1; i >= 0; i-- {
		switch line[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				if i == 0 {
					return line
				}
				return line[:i]
			}
		}
	}
	return line
}

// splitFileLine reads "/src/x.go:12 +0x2a fp=…" into file and line.
func splitFileLine(s string) (string, int) {
	if i := strings.Index(s, " +0x"); i >= 0 {
		s = s[:i]
	} else if i := strings.Index(s, " fp="); i >= 0 {
		s = s[:i]
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, 0
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return s, 0
	}
	return s[:i], n
}

// interner shares identical strings between goroutines, so memory grows
// with the number of distinct frames, not goroutines.
type interner struct{ m map[string]string }

func newInterner() *interner { return &interner{m: map[string]string{}} }

// s returns the shared copy of v. v may be a substring of a larger text
// (blockLines): what is stored is a copy of v alone.
func (in *interner) s(v string) string {
	if x, ok := in.m[v]; ok {
		return x
	}
	v = strings.Clone(v)
	in.m[v] = v
	return v
}
