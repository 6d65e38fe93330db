package servicelog

import (
	"bytes"

	"github.com/coroner/coroner/bundle/gctrace"
)

// MaxTraceback bounds the text kept of one traceback. runtime/pprof stops
// a goroutine?debug=2 dump at 64 MiB (writeGoroutineStacks: "Filled 64
// MB - stop there"); a crash traceback of the same goroutines is of the
// same size, so a census that pprof would have given whole fits. A longer
// traceback is kept up to the bound and marked cut.
const MaxTraceback = 64 << 20

// maxPreamble bounds the lines a traceback may hold before its first
// goroutine header (the panic value's lines, the signal, the registers):
// a "panic: " line an application printed itself is followed by no header
// and is dropped after this many runtime-looking lines at most.
const maxPreamble = 4096

// maxForeign bounds the application lines skipped between a start line
// and the first goroutine header. The runtime prints at most the signal
// line and a blank line between them (panic.go printpanics, dopanic_m),
// so a few lines of other goroutines' output is all a merged log can put
// there; a start line followed by more is an application's own text.
const maxForeign = 16

// maxCrashLine bounds Traceback.Line, which lands in manifests.
const maxCrashLine = 512

// Traceback is one run of the runtime's crash or SIGQUIT output.
type Traceback struct {
	// Offset is where its first line starts in the input.
	Offset int64
	// Line is its first line ("panic: …", "fatal error: …", "SIGQUIT:
	// quit"), cut to 512 bytes; untrusted.
	Line string
	// Source is the stream or process the wrapper says wrote it.
	Source string
	// Sink is what took its lines as they were read: the one the
	// Locator's NewSink made, or else one that keeps their text (Text,
	// Chunks).
	Sink LineSink
	size int
	// Lines counts them.
	Lines int
	// Cut is true when it was longer than MaxTraceback.
	Cut bool
	// AfterOrphan is true when it began right after lines of a traceback
	// whose start was not seen (goroutine headers, frames): a read that
	// began inside a longer traceback, such as one of the dumps of other
	// threads GOTRACEBACK=crash prints after "-----".
	AfterOrphan bool
}

// A LineSink takes the lines of a traceback as a Locator finds them: a
// parser that reads it in one pass, with no copy of its text kept.
type LineSink interface {
	// Line takes the next line, unwrapped and without its newline; text
	// is valid only until Line returns.
	Line(text []byte)
}

// Found is what a Locator saw in the payload it was fed.
type Found struct {
	// Format is the wrapper format the log was read in.
	Format Format
	// From and To delimit the bytes of the input read.
	From, To int64
	// Tracebacks counts the tracebacks: more than one means the process
	// crashed (or was dumped) and restarted; Last is the incident.
	Tracebacks int
	// GCTraceLines counts GODEBUG=gctrace=1 lines.
	GCTraceLines int
	// Lines counts the payload lines read, and Longest is the longest's
	// length.
	Lines, Longest int
	// mentions holds the lines read that mention "gc " (gctrace.Mentions)
	// with their numbers; mentionsCut is set once they outgrow
	// maxMentionBytes and the rest are no longer kept.
	mentions     []gctrace.Mention
	mentionBytes int
	mentionsCut  bool
	// Last is the last traceback, nil when there was none.
	Last *Traceback
	// CutLines counts payload lines longer than MaxLine.
	CutLines int
	// InsideEnd is true when the input ends inside a traceback whose
	// start it did not see: its last runtime output is a traceback's
	// lines with no start line before them, or a start after the "-----"
	// of GOTRACEBACK=crash's other threads (Last.AfterOrphan).
	InsideEnd bool
}

// Runtime reports whether the log held any Go runtime output.
func (f *Found) Runtime() bool { return f.Tracebacks > 0 || f.GCTraceLines > 0 }

// GCTrace returns the summary gctrace.Summarize gives of the whole log,
// when the read can tell it: it began at the log's start, cut no line,
// met none longer than a gctrace reader takes, and kept every line that
// mentions "gc ". Otherwise ok is false, and the log must be read again
// for its gctrace lines.
func (f *Found) GCTrace() (sum *gctrace.Summary, ok bool) {
	if f.From != 0 || f.CutLines > 0 || f.Longest+1 >= gctrace.MaxLine || f.mentionsCut {
		return nil, false
	}
	return gctrace.SummarizeMentions(f.mentions, f.Lines), true
}

// maxMentionBytes bounds the text of the lines a Locator keeps for
// GCTrace: 8 MiB is some 50,000 gctrace lines of about 150 bytes, a
// service collecting every 70 ms for an hour; a log with more is read
// again.
const maxMentionBytes = 8 << 20

// Locator delimits tracebacks and counts gctrace lines in payload lines.
//
// A traceback begins at a start line (IsStart) and goes on while lines
// have the runtime's shapes (IsRuntimeLine); the first application line
// after its first goroutine header ends it. Lines from another stream or
// process than the start line's (when the wrapper names them) neither
// belong to it nor end it: the runtime writes only to standard error, and
// a host log interleaves other services. Up to maxForeign application
// lines between the start line and the first goroutine header are
// skipped, as a log merging stdout and stderr interleaves them. A start line before the first
// goroutine header (nested panics, "fatal error: panic while printing
// panic value"), or after the "-----" separator that GOTRACEBACK=crash
// prints before each other thread's SIGQUIT dump, belongs to the current
// traceback. A start never followed by a goroutine header is not counted.
type Locator struct {
	// NewSink, when set, makes a sink for each traceback as it starts,
	// which takes its lines in place of the Traceback keeping their text.
	NewSink func() LineSink
	found   Found
	cur     *state
	// orphan is set by traceback lines outside any traceback, cleared by
	// an application line.
	orphan bool
}

type state struct {
	tb       Traceback
	header   bool
	afterSep bool
	foreign  int
}

// Line feeds one payload line.
func (l *Locator) Line(ln Line) {
	text := ln.Text
	l.found.Lines++
	l.found.Longest = max(l.found.Longest, len(text))
	gc := false
	if gctrace.Mentions(text) {
		l.mention(text)
		if gc = gctrace.IsLine(text); gc {
			l.found.GCTraceLines++
		}
	}
	if c := l.cur; c != nil {
		if c.tb.Source != "" && ln.Source != "" && ln.Source != c.tb.Source {
			return
		}
		switch {
		case c.header && !c.afterSep && !gc && IsStart(text):
			l.close()
		case !gc && IsRuntimeLine(text):
			c.add(text)
			if IsGoroutineHeader(text) {
				c.header, c.afterSep = true, false
			} else if bytes.HasPrefix(text, []byte("-----")) {
				c.afterSep = true
			}
			if !c.header && c.tb.Lines > maxPreamble {
				l.cur = nil
			}
			return
		case !c.header:
			// Another goroutine's output between the first line and the
			// first header, in a log that merges both streams.
			if c.foreign++; c.foreign > maxForeign {
				l.cur = nil
			}
			return
		default:
			l.close()
			return
		}
	}
	switch {
	case !gc && IsStart(text):
		line := text
		if len(line) > maxCrashLine {
			line = line[:maxCrashLine]
		}
		var sink LineSink = &textLines{}
		if l.NewSink != nil {
			sink = l.NewSink()
		}
		l.cur = &state{tb: Traceback{Offset: ln.Offset, Line: string(line), Source: ln.Source, AfterOrphan: l.orphan, Sink: sink}}
		l.cur.add(text)
		l.orphan = false
	case gc || !IsRuntimeLine(text):
		l.orphan = false
	case len(text) > 0 && !bytes.HasPrefix(text, []byte("runtime: ")):
		l.orphan = true
	}
}

// mention keeps a line that mentions "gc " for Found.GCTrace, as a
// gctrace reader sees it: without a carriage return before its end
// (bufio.ScanLines).
func (l *Locator) mention(text []byte) {
	f := &l.found
	if f.mentionsCut {
		return
	}
	if f.mentionBytes += len(text); f.mentionBytes > maxMentionBytes {
		f.mentions, f.mentionsCut = nil, true
		return
	}
	f.mentions = append(f.mentions, gctrace.Mention{Line: f.Lines, Text: string(bytes.TrimSuffix(text, []byte("\r")))})
}

// add appends a line to the traceback, up to MaxTraceback.
func (c *state) add(text []byte) {
	tb := &c.tb
	if tb.Cut || tb.size+len(text)+1 > MaxTraceback {
		// Nothing after the first line left out: what is kept is the
		// traceback's start, without gaps.
		tb.Cut = true
		return
	}
	tb.size += len(text) + 1
	tb.Lines++
	tb.Sink.Line(text)
}

// Text returns the traceback's lines, unwrapped, each ending in a
// newline; none when a NewSink's sink took them.
func (tb *Traceback) Text() []byte {
	out := make([]byte, 0, tb.size)
	for _, ch := range tb.Chunks() {
		out = append(out, ch...)
	}
	return out
}

// Chunks returns the traceback's Text in pieces of whole lines, without
// joining them.
func (tb *Traceback) Chunks() []string {
	if t, ok := tb.Sink.(*textLines); ok {
		return t.chunks
	}
	return nil
}

// close ends the current traceback; one that showed a goroutine header
// is counted and becomes the last.
func (l *Locator) close() {
	if c := l.cur; c != nil && c.header {
		l.found.Tracebacks++
		if t, ok := c.tb.Sink.(*textLines); ok {
			t.end()
		}
		tb := c.tb
		l.found.Last = &tb
	}
	l.cur = nil
}

// Finish ends the input and returns what was found.
func (l *Locator) Finish() *Found {
	l.close()
	f := l.found
	f.InsideEnd = l.orphan || f.Last != nil && f.Last.AfterOrphan
	return &f
}
