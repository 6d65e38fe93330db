package netpoll

import (
	"fmt"
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

// censusTimers groups a census's user goroutines waiting on timers by
// their innermost user frame and names the frame with the most waiters
// on tickers faster than shortSleep — each of which the scheduler wakes
// more than a thousand times a second — or, with no such ticker, the most
// waiters overall.
func censusTimers(c *goroutines.Census) *timerWaiters {
	if c == nil {
		return nil
	}
	type group struct {
		frame       stacks.Frame
		total, fast int
	}
	groups := map[string]*group{}
	w := &timerWaiters{source: c.Source}
	for _, g := range c.Goroutines {
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
		u := stacks.FirstUser(st, 0)
		if u < 0 {
			continue
		}
		gr := groups[st[u].Func]
		if gr == nil {
			gr = &group{frame: st[u]}
			groups[st[u].Func] = gr
		}
		gr.total += n
		gr.fast += fast
	}
	if w.total == 0 {
		return nil
	}
	var best *group
	for _, gr := range groups {
		if best == nil || gr.fast > best.fast || gr.fast == best.fast &&
			(gr.total > best.total || gr.total == best.total && gr.frame.Func < best.frame.Func) {
			best = gr
		}
	}
	if best != nil {
		w.site = &analyze.Culprit{Function: best.frame.Func, File: best.frame.File, Line: best.frame.Line}
		w.siteTotal, w.siteFast = best.total, best.fast
	}
	return w
}

// onTimer reports whether a goroutine waits on the timer machinery: a
// core marked its channel as a timer's, or it sleeps in time.Sleep
// (parked, or woken and not yet run, its stack still in runtime.timeSleep
// or time.Sleep).
func onTimer(g goroutines.Goroutine) bool {
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
// goroutines are there in all.
func censusYielders(c *goroutines.Census) (*analyze.Culprit, int) {
	if c == nil {
		return nil, 0
	}
	count := map[string]int{}
	where := map[string]stacks.Frame{}
	total := 0
	for _, g := range c.Goroutines {
		if g.System {
			continue
		}
		st := make([]stacks.Frame, len(g.Frames))
		yield := -1
		for i, f := range g.Frames {
			st[i] = stacks.Frame{Func: f.Func, File: f.File, Line: f.Line}
			if yield < 0 && f.Func == "runtime.Gosched" {
				yield = i
			}
		}
		if yield < 0 {
			continue
		}
		n := max(g.Count, 1)
		total += n
		if u := stacks.FirstUser(st, yield+1); u >= 0 {
			count[st[u].Func] += n
			where[st[u].Func] = st[u]
		}
	}
	best := ""
	for fn, n := range count {
		if best == "" || n > count[best] || n == count[best] && fn < best {
			best = fn
		}
	}
	if best == "" {
		return nil, total
	}
	f := where[best]
	return &analyze.Culprit{Function: f.Func, File: f.File, Line: f.Line}, total
}
