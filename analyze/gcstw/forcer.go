package gcstw

import (
	"fmt"
	"slices"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/internal/stacks"
	"github.com/coroner/coroner/analyze/traces"
	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/bundle/tracefile"
)

// isForcing matches the calls that start a collection on request:
// runtime.GC, and debug.FreeOSMemory, which calls it through the
// runtime's runtime/debug.freeOSMemory (mheap.go) before returning memory
// to the OS. Both set work.userForced, the "(forced)" of gctrace.
func isForcing(f stacks.Frame) bool {
	return f.Func == "runtime.GC" || f.Func == "runtime/debug.FreeOSMemory" || f.Func == "runtime/debug.freeOSMemory"
}

// isPeriodic matches the periodic collection sysmon asks forcegchelper to
// start when none ran for forcegcperiod (two minutes, proc.go).
func isPeriodic(f stacks.Frame) bool { return f.Func == "runtime.forcegchelper" }

// forcingCaller returns the frame that asked for a collection in stack
// (innermost first): the innermost user frame calling the outermost
// forcing frame, else the frame right above it; ok is false when stack
// holds no forcing call.
func forcingCaller(stack []stacks.Frame) (stacks.Frame, bool) {
	at := -1
	for i, f := range stack {
		if isForcing(f) {
			at = i
		}
	}
	if at < 0 {
		return stacks.Frame{}, false
	}
	if u := stacks.FirstUser(stack, at+1); u >= 0 {
		return stack[u], true
	}
	if at+1 < len(stack) {
		return stack[at+1], true
	}
	return stack[at], true
}

// callerTally counts forcing callers by function.
type callerTally struct {
	by    map[string]*callerCount
	total int64
}

type callerCount struct {
	frame stacks.Frame
	n     int64
	stack []stacks.Frame
}

func (t *callerTally) add(stack []stacks.Frame, n int64) bool {
	f, ok := forcingCaller(stack)
	if !ok {
		return false
	}
	if t.by == nil {
		t.by = map[string]*callerCount{}
	}
	c := t.by[f.Func]
	if c == nil {
		c = &callerCount{frame: f, stack: stack}
		t.by[f.Func] = c
	}
	c.n += n
	t.total += n
	return true
}

// top returns the caller with the largest count (ties by name).
func (t *callerTally) top() *callerCount {
	var names []string
	for fn := range t.by {
		names = append(names, fn)
	}
	slices.Sort(names)
	var best *callerCount
	for _, fn := range names {
		if c := t.by[fn]; best == nil || c.n > best.n {
			best = c
		}
	}
	return best
}

// traceStarts splits the trace's GC starts by what began them.
type traceStarts struct {
	forced, periodic, alloc, total int64
	callers                        callerTally
}

func startsOf(tr *traces.Result) traceStarts {
	var ts traceStarts
	for _, t := range tr.Traces {
		for _, s := range t.Summary.GCStarts {
			st := traceFrames(s.Frames)
			ts.total += s.Count
			switch {
			case ts.callers.add(st, s.Count):
				ts.forced += s.Count
			case has(st, isPeriodic):
				ts.periodic += s.Count
			case has(st, stacks.IsMalloc):
				ts.alloc += s.Count
			}
		}
	}
	return ts
}

func traceFrames(fs []tracefile.Frame) []stacks.Frame {
	st := make([]stacks.Frame, len(fs))
	for i, f := range fs {
		st[i] = stacks.Frame{Func: f.Func, File: f.File, Line: f.Line}
	}
	return st
}

func has(st []stacks.Frame, pred func(stacks.Frame) bool) bool {
	_, ok := stacks.Any(st, pred)
	return ok
}

// cpuForcers tallies CPU time (ns) under forcing calls by caller: the
// caller's goroutine runs the cycle's start and finishes its sweep itself
// (runtime.GC sweeps every span before returning).
func cpuForcers(p *cpu.Profile) callerTally {
	var t callerTally
	if p == nil {
		return t
	}
	for _, s := range p.Samples {
		t.add(s.Stack, s.Value)
	}
	return t
}

// censusForcers tallies the goroutines a census caught inside a forcing
// call, by caller.
func censusForcers(cs []*goroutines.Census) (callerTally, string) {
	var t callerTally
	var conv stacks.Converter
	for _, c := range cs {
		for i := range c.Goroutines {
			g := &c.Goroutines[i]
			t.add(conv.FromGoroutine(g.Frames), 1)
		}
		if t.total > 0 {
			return t, c.Source
		}
	}
	return t, ""
}

// forcerCulprit names the forcing caller, preferring the source that counts
// cycles (the trace's GC starts), then CPU time under the call, then
// goroutines caught in it.
func forcerCulprit(ts traceStarts, cpuT, censusT callerTally, cpuSrc, censusSrc string) (*analyze.Culprit, []analyze.Stack) {
	type source struct {
		t     callerTally
		title func(c *callerCount) string
		unit  string
	}
	for _, s := range []source{
		{ts.callers, func(c *callerCount) string {
			return fmt.Sprintf("caller starting %d of %d forced GC cycles in the trace", c.n, ts.callers.total)
		}, "cycles"},
		{cpuT, func(c *callerCount) string {
			return fmt.Sprintf("caller of runtime.GC in CPU samples (%s): %.0f%% of the CPU under forced collections", cpuSrc, 100*float64(c.n)/float64(max(cpuT.total, 1)))
		}, "ns"},
		{censusT, func(c *callerCount) string {
			return fmt.Sprintf("caller of runtime.GC: %d goroutines inside the call in %s", c.n, censusSrc)
		}, "goroutines"},
	} {
		c := s.t.top()
		if c == nil {
			continue
		}
		return &analyze.Culprit{Function: c.frame.Func, File: c.frame.File, Line: c.frame.Line},
			[]analyze.Stack{{Title: s.title(c), Count: c.n, Unit: s.unit, Frames: cpu.FrameStrings(c.stack, 24)}}
	}
	return nil, nil
}

// forcingName is how a title names the call: runtime.GC or
// debug.FreeOSMemory, whichever the caller's stack shows.
func forcingName(stack []string) string {
	for _, f := range stack {
		if strings.HasPrefix(f, "runtime/debug.FreeOSMemory") {
			return "debug.FreeOSMemory()"
		}
	}
	return "runtime.GC()"
}
