package traces

import (
	"time"

	"golang.org/x/exp/trace"

	"github.com/coroner/coroner/analyze/internal/stacks"
)

// The scheduler wakes a blocked goroutine itself — not on another
// goroutine's behalf — in two places (runtime/proc.go): running the
// timers that are due (pp.timers.check in findRunnable, and on other Ps'
// heaps in stealWork: a time.Sleep ending, a timer channel's send, a
// read or write deadline expiring), and taking the goroutines whose file
// descriptors netpoll(0) found ready (findRunnable, sysmon, or the M
// blocked in netpoll when nothing else was runnable). In the
// trace such a wake-up is a Waiting→Runnable transition with no goroutine
// running on the event. What the woken goroutine does next tells a spin
// from work: a goroutine polling a tiny timer or re-arming a deadline
// runs a microsecond or two and parks again, while a server goroutine
// woken because its connection has a request reads it, runs the handler
// and writes the reply before it parks.

// Wake-up bounds.
const (
	// ShortBlock: blocks shorter than this end in a wake-up worth
	// counting. Timeouts, tickers and periodic work use milliseconds or
	// more; sub-millisecond sleeps and deadlines are polling loops, and a
	// busy server's connections wait about as long between requests.
	ShortBlock = time.Millisecond
	// EmptyRun: a woken goroutine that runs less than this before it
	// stops again did no work to speak of: re-arming a timer or deadline
	// and parking again is a few hundred nanoseconds to a couple of
	// microseconds of runtime code, while reading a request, running a
	// handler and writing a reply takes a system call or two of several
	// microseconds each. Measured (go1.26, amd64, 2 shared cores, 2 s
	// traces): of the wake-ups of goroutines looping on a 1 µs timer or
	// a 20 µs read deadline, 96–99 % ran under 5 µs; of a busy net/http
	// server's, 0.2–0.4 %.
	EmptyRun = 5 * time.Microsecond
)

// runBounds are the upper bounds of Wakes.Runs' buckets.
var runBounds = [...]time.Duration{2 * time.Microsecond, EmptyRun, 10 * time.Microsecond,
	20 * time.Microsecond, 50 * time.Microsecond, 100 * time.Microsecond}

// Wakes is what one trace says about the goroutines the scheduler woke
// after short blocks, and what they did next.
type Wakes struct {
	// Short counts scheduler wake-ups after blocks under ShortBlock.
	Short int64
	// Measured counts the short wake-ups whose next run ended within the
	// trace; Empty counts those of them that ran under EmptyRun.
	Measured, Empty int64
	// Ran sums the measured runs.
	Ran time.Duration
	// Runs buckets the measured runs by runBounds (the last bucket holds
	// the longer ones).
	Runs [len(runBounds) + 1]int64
	// Sites counts short and empty wake-ups by the user frame the
	// goroutine blocked in (at most maxWakeSites).
	Sites map[string]*WakeSite
}

// WakeSite is one user blocking frame's wake-ups.
type WakeSite struct {
	Frame        stacks.Frame
	Short, Empty int64
}

// RunBounds returns the upper bounds of Runs' buckets.
func RunBounds() []time.Duration { return runBounds[:] }

// TopEmpty returns the site with the most empty wake-ups (then the most
// short ones, then the first name), or nil.
func (w *Wakes) TopEmpty() *WakeSite {
	var best *WakeSite
	for _, s := range w.Sites {
		if best == nil || s.Empty > best.Empty || s.Empty == best.Empty &&
			(s.Short > best.Short || s.Short == best.Short && s.Frame.Func < best.Frame.Func) {
			best = s
		}
	}
	return best
}

// wakeState is one goroutine's part in the wake-up count.
type wakeState struct {
	blockedAt trace.Time
	site      *WakeSite
	woken     bool       // a short scheduler wake-up awaits its run
	running   bool       // that run is under way
	runStart  trace.Time // when it began
}

// wakeFolder builds Wakes one event at a time.
type wakeFolder struct {
	w      *Wakes
	gs     map[trace.GoID]*wakeState
	frames map[trace.Stack]*WakeSite
}

func newWakeFolder() *wakeFolder {
	return &wakeFolder{w: &Wakes{Sites: map[string]*WakeSite{}}, gs: map[trace.GoID]*wakeState{}, frames: map[trace.Stack]*WakeSite{}}
}

// siteOf is the wake site of a blocking stack: its first user frame.
func (f *wakeFolder) siteOf(stk trace.Stack) *WakeSite {
	if s, ok := f.frames[stk]; ok {
		return s
	}
	var st []stacks.Frame
	for fr := range stk.Frames() {
		st = append(st, stacks.Frame{Func: fr.Func, File: fr.File, Line: int(min(fr.Line, 1<<31-1))})
		if len(st) == maxSiteFrames {
			break
		}
	}
	var s *WakeSite
	if u := stacks.FirstUser(st, 0); u >= 0 {
		s = f.w.Sites[st[u].Func]
		if s == nil && len(f.w.Sites) < maxWakeSites {
			s = &WakeSite{Frame: st[u]}
			f.w.Sites[st[u].Func] = s
		}
	}
	if len(f.frames) < maxCachedSites {
		f.frames[stk] = s
	}
	return s
}

func (f *wakeFolder) event(e *trace.Event) {
	st, ok := goroutineTransition(e)
	if !ok {
		return
	}
	from, to := st.Goroutine()
	if from == trace.GoUndetermined || from == to {
		return
	}
	g, _ := trackGoroutine(f.gs, st.Resource.Goroutine())
	if g == nil {
		return
	}
	t := e.Time()
	switch {
	case from == trace.GoWaiting:
		g.woken = false
		if e.Goroutine() == trace.NoGoroutine && g.blockedAt != 0 && t.Sub(g.blockedAt) < ShortBlock {
			g.woken = true
			f.w.Short++
			if g.site != nil {
				g.site.Short++
			}
		}
		g.blockedAt = 0
		if g.woken && to == trace.GoRunning {
			g.running, g.runStart = true, t
		}
	case to == trace.GoRunning:
		if g.woken && !g.running {
			g.running, g.runStart = true, t
		}
	case from == trace.GoRunning && to != trace.GoSyscall, from == trace.GoSyscall && to != trace.GoRunning:
		if g.running {
			f.ran(g, t.Sub(g.runStart))
		}
		g.woken, g.running = false, false
	}
	if to == trace.GoWaiting {
		g.blockedAt = t
		g.site = f.siteOf(e.Stack())
	}
}

// ran records the run that followed a short wake-up.
func (f *wakeFolder) ran(g *wakeState, d time.Duration) {
	f.w.Measured++
	f.w.Ran += d
	i := 0
	for i < len(runBounds) && d >= runBounds[i] {
		i++
	}
	f.w.Runs[i]++
	if d < EmptyRun {
		f.w.Empty++
		if g.site != nil {
			g.site.Empty++
		}
	}
}
