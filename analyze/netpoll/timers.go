package netpoll

import (
	"fmt"
	"slices"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/internal/stacks"
	"github.com/coroner/coroner/bundle/goroutines"
)

// timerWaiters is what a core's census says about goroutines the timer
// machinery wakes: those parked on, or woken from and not yet run after,
// a receive from a time.Timer's or time.Ticker's channel, and those in
// time.Sleep.
type timerWaiters struct {
	total, fast int // waiters; those on tickers faster than shortSleep
	site        *analyze.Culprit
	siteTotal   int
	siteFast    int
	source      string
}

// frameTally counts goroutines by their innermost user frame, those on
// fast tickers apart.
type frameTally map[string]*frameCount

type frameCount struct {
	frame       stacks.Frame
	total, fast int
}

func (t frameTally) add(f stacks.Frame, n, fast int) {
	c := t[f.Func]
	if c == nil {
		c = &frameCount{frame: f}
		t[f.Func] = c
	}
	c.total += n
	c.fast += fast
}

// top returns the frame with the most goroutines on fast tickers, then
// the most goroutines, then the first name; nil for an empty tally.
func (t frameTally) top() *frameCount {
	var best *frameCount
	for _, c := range t {
		if best == nil || c.fast > best.fast || c.fast == best.fast &&
			(c.total > best.total || c.total == best.total && c.frame.Func < best.frame.Func) {
			best = c
		}
	}
	return best
}

// culprit names the frame.
func (c *frameCount) culprit() *analyze.Culprit {
	return &analyze.Culprit{Function: c.frame.Func, File: c.frame.File, Line: c.frame.Line}
}

// censusTimers groups a census's user goroutines waiting on timers by
// their innermost user frame and names the frame with the most waiters
// on tickers faster than shortSleep — each of which the scheduler wakes
// more than a thousand times a second — or, with no such ticker, the most
// waiters overall.
func censusTimers(c *goroutines.Census) *timerWaiters {
	if c == nil {
		return nil
	}
	groups := frameTally{}
	w := &timerWaiters{source: c.Source}
	for i := range c.Goroutines {
		g := &c.Goroutines[i]
		if g.System || !onTimer(g) {
			continue
		}
		n := max(g.Count, 1)
		fast := 0
		if g.Timer != nil && g.Timer.PeriodNanos > 0 && time.Duration(g.Timer.PeriodNanos) < shortSleep {
			fast = n
		}
		w.total += n
		w.fast += fast
		st := stacks.FromGoroutine(g.Frames)
		if u := stacks.FirstUser(st, 0); u >= 0 {
			groups.add(st[u], n, fast)
		}
	}
	if w.total == 0 {
		return nil
	}
	if best := groups.top(); best != nil {
		w.site = best.culprit()
		w.siteTotal, w.siteFast = best.total, best.fast
	}
	return w
}

// onTimer reports whether a goroutine waits on the timer machinery: a
// core marked its channel as a timer's, or it sleeps in time.Sleep
// (parked, or woken and not yet run, its stack still in runtime.timeSleep
// or time.Sleep).
func onTimer(g *goroutines.Goroutine) bool {
	if g.Timer != nil {
		return true
	}
	if g.Status != "waiting" && g.Status != "runnable" {
		return false
	}
	if g.WaitReason == "sleep" {
		return true
	}
	for _, f := range g.Frames {
		switch f.Func {
		case "time.Sleep", "runtime.timeSleep":
			return true
		}
		if stacks.IsUser(stacks.Frame{Func: f.Func}) {
			return false
		}
	}
	return false
}

// evidence renders the census's timer waiters for a finding.
func (w *timerWaiters) evidence() analyze.Evidence {
	note := fmt.Sprintf("user goroutines parked on a timer's channel or in time.Sleep, or woken from one and not yet run; %d on tickers faster than %v", w.fast, shortSleep)
	if w.site != nil {
		note += fmt.Sprintf("; %d of them (%d on fast tickers) in %s", w.siteTotal, w.siteFast, w.site.Function)
	}
	return analyze.Evidence{Metric: "goroutines_waiting_on_timers", Value: float64(w.total), Unit: "goroutines", Artifact: w.source, Note: note}
}

// censusYielders names the user frame with the most goroutines inside
// runtime.Gosched (the goroutine side of a yield: a debug=2 dump shows it,
// being an exported runtime function, and so does a core), and how many
// goroutines are there in all. A Gosched the runtime called itself does
// not count: a goroutine preempted in the middle of a GC assist yields
// from gcAssistAlloc (mgcmark.go), under any allocation of a program that
// collects back to back, and the background sweeper and a stop-the-world
// gcStart yield too; none is the program polling. A debug=2 dump hides
// the runtime's unexported frames, so there an assist's yield shows
// runtime.Gosched right under the allocating user frame; assisting(fn)
// says when fn's yield is most likely that.
func censusYielders(c *goroutines.Census, assisting func(fn string) bool) (*analyze.Culprit, int) {
	if c == nil {
		return nil, 0
	}
	groups := frameTally{}
	total := 0
	for i := range c.Goroutines {
		g := &c.Goroutines[i]
		if g.System {
			continue
		}
		yield := slices.IndexFunc(g.Frames, func(f goroutines.Frame) bool { return f.Func == "runtime.Gosched" })
		if yield < 0 || yield+1 < len(g.Frames) && goroutines.IsRuntimeFunc(g.Frames[yield+1].Func) {
			continue
		}
		st := stacks.FromGoroutine(g.Frames)
		u := stacks.FirstUser(st, yield+1)
		if u >= 0 && yield+1 == u && assisting(st[u].Func) {
			continue
		}
		n := max(g.Count, 1)
		total += n
		if u >= 0 {
			groups.add(st[u], n, 0)
		}
	}
	if best := groups.top(); best != nil {
		return best.culprit(), total
	}
	return nil, total
}
