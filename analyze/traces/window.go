package traces

import (
	"context"
	"fmt"
	"io"
	"time"

	"golang.org/x/exp/trace"

	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/bundle/tracefile"
)

// An execution trace records every goroutine state change: a goroutine
// whose last transition blocked it stayed blocked from then to the end of
// the trace (and one reported blocked when tracing started, with no
// transition, over the whole window). And any Unlock of a
// sync.Mutex with waiters wakes one of them (semrelease readies the first
// waiter in the semaphore queue, and in starvation mode hands it the lock
// outright): the wake-up is a Waiting→Runnable transition in the trace,
// with the waiter's blocking stack known from when it blocked. So a
// mutex none of whose waiters was woken during the trace was not released
// during it.

// Bounds on what the trace pass keeps.
const (
	// maxTraceGoroutines bounds the goroutines tracked (a census of 16M
	// goroutines is beyond any core read; see gocore's maxAllgs).
	maxTraceGoroutines = 1 << 24
	// maxWakeSites bounds the distinct user blocking sites recorded as
	// woken.
	maxWakeSites = 1 << 16
)

// Window is what one execution trace says about progress.
type Window struct {
	Path     string
	Duration time.Duration
	// BlockedFor holds the goroutines blocked when the trace ended, with
	// how long they had been blocked by then (the whole Duration for those
	// blocked when it started).
	BlockedFor map[int64]time.Duration
	// Progressing counts goroutines that ran during the trace.
	Progressing int
	// LastWake holds, per user blocking site (function and line of the
	// first frame outside the runtime and standard library), when the last
	// goroutine blocked there was woken, as an offset from the trace's
	// start.
	LastWake map[Site]time.Duration
	// Truncated is set when the trace ended in an error; the window covers
	// what was read before it.
	Truncated bool
}

// BlockedThrough reports whether goroutine id was blocked for at least d
// when the trace ended.
func (w *Window) BlockedThrough(id int64, d time.Duration) bool {
	b, ok := w.BlockedFor[id]
	return ok && b >= d
}

// Site is a user blocking site.
type Site struct {
	Func string
	Line int
}

func (s Site) String() string { return fmt.Sprintf("%s:%d", s.Func, s.Line) }

// SiteOf is the user blocking site of a stack, innermost first.
func SiteOf(frames []goroutines.Frame) (Site, bool) {
	f := goroutines.TopUserFrame(frames)
	if f == nil {
		return Site{}, false
	}
	return Site{f.Func, f.Line}, true
}

// goState is what the trace pass knows of one goroutine.
type goState struct {
	blocked bool
	since   trace.Time
	ran     bool
	site    Site
	hasSite bool
}

// ReadWindow folds a trace into a window. Errors after the first events
// mark the window truncated; an unreadable trace is an error naming it.
func ReadWindow(ctx context.Context, r io.Reader, name string) (*Window, error) {
	f := newWindowFolder(name)
	sum, err := tracefile.SummarizeWith(ctx, r, name, f.event)
	if err != nil {
		return nil, err
	}
	if sum.Truncated && !f.started {
		return nil, fmt.Errorf("trace %s: %s", name, sum.Warning)
	}
	return f.finish(sum.Truncated), nil
}

// windowFolder builds a Window one event at a time.
type windowFolder struct {
	w           *Window
	gs          map[trace.GoID]*goState
	first, last trace.Time
	started     bool
	// sites remembers each blocking stack's site: a trace of 100k
	// goroutines blocking at a handful of places repeats a few stacks.
	sites map[trace.Stack]stackSite
}

type stackSite struct {
	site Site
	ok   bool
}

// maxCachedSites bounds sites; stacks beyond it are resolved each time.
const maxCachedSites = 1 << 16

func newWindowFolder(name string) *windowFolder {
	return &windowFolder{
		w:     &Window{Path: name, BlockedFor: map[int64]time.Duration{}, LastWake: map[Site]time.Duration{}},
		gs:    map[trace.GoID]*goState{},
		sites: map[trace.Stack]stackSite{},
	}
}

// siteOf is SiteOf of a trace stack, remembered per stack.
func (f *windowFolder) siteOf(stk trace.Stack) (Site, bool) {
	if c, ok := f.sites[stk]; ok {
		return c.site, c.ok
	}
	s, ok := SiteOf(stackFrames(stk))
	if len(f.sites) < maxCachedSites {
		f.sites[stk] = stackSite{s, ok}
	}
	return s, ok
}

func (f *windowFolder) event(e *trace.Event) {
	t := e.Time()
	if !f.started {
		f.first, f.started = t, true
	}
	f.last = max(f.last, t)
	st, ok := goroutineTransition(e)
	if !ok {
		return
	}
	from, to := st.Goroutine()
	g, added := trackGoroutine(f.gs, st.Resource.Goroutine())
	if g == nil {
		return
	}
	if added && (from == trace.GoUndetermined || from == to) && to == trace.GoWaiting {
		// Reported blocked when first seen: blocked since before the
		// trace began, as far as the trace can tell.
		g.blocked, g.since = true, f.first
		g.site, g.hasSite = f.siteOf(st.Stack)
	}
	if from == trace.GoUndetermined || from == to {
		// A status report, not a change: the state the goroutine was
		// in when tracing (or a new generation) began.
		return
	}
	switch {
	case to == trace.GoWaiting:
		g.blocked, g.since = true, t
		g.site, g.hasSite = f.siteOf(e.Stack())
	case from == trace.GoWaiting:
		g.blocked = false
		if g.hasSite && (len(f.w.LastWake) < maxWakeSites || f.w.LastWake[g.site] > 0) {
			f.w.LastWake[g.site] = t.Sub(f.first)
		}
	default:
		g.blocked = false
	}
	if to == trace.GoRunning {
		g.ran = true
	}
}

// finish completes the window at the last event read.
func (f *windowFolder) finish(truncated bool) *Window {
	w := f.w
	w.Truncated = truncated
	if f.started {
		w.Duration = f.last.Sub(f.first)
	}
	for id, g := range f.gs {
		if g.blocked {
			w.BlockedFor[int64(id)] = f.last.Sub(g.since)
		}
		if g.ran {
			w.Progressing++
		}
	}
	return w
}

// stackFrames converts a trace stack, innermost first.
func stackFrames(s trace.Stack) []goroutines.Frame {
	var out []goroutines.Frame
	for f := range s.Frames() {
		out = append(out, goroutines.Frame{Func: f.Func, File: f.File, Line: int(f.Line)})
		if len(out) == maxSiteFrames {
			break
		}
	}
	return out
}

// maxSiteFrames bounds the frames kept per blocking stack: the user frame
// that called Lock or the channel operation is within the first few above
// gopark, sync and runtime frames.
const maxSiteFrames = 32
