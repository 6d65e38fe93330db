// Package lockwait ranks the locks goroutines waited on longest and joins
// the sources into a who-blocks-whom picture: mutex-profile delay (which
// the runtime charges to the unlocker, i.e. the end of the holder's
// critical section), block-profile waiters, goroutines parked on
// sync.Mutex/RWMutex in a goroutine census (dump or core) with how long,
// blocking in the execution trace, and runtime-lock and futex frames in CPU
// samples. The culprit is the acquiring function; the holder's critical
// section is named where the data allows.
package lockwait

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/census"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/internal/pprofs"
	"github.com/coroner/coroner/analyze/internal/stacks"
	"github.com/coroner/coroner/analyze/traces"
	"github.com/coroner/coroner/bundle"
)

// Analyzer is the lock_wait analyzer.
var Analyzer = &analyze.Analyzer{
	Name: "lock_wait",
	Doc: "lock waits, who blocks whom\n\n" +
		"Mutex and block profile delay by call site; goroutines parked on sync.Mutex or RWMutex, or on a channel " +
		"used as a semaphore (a core shows which), in dumps and cores with how long; lock blocking in the trace; " +
		"runtime lock and futex frames in CPU samples. Joined into who blocks whom.\n\n" +
		"Culprit: the lock's acquiring function and the holder's critical section.",
	Version:  "3",
	Requires: []*analyze.Analyzer{cpu.Analyzer, traces.Analyzer, pprofs.Analyzer},
	// The goroutine census (cores and dumps) is read when it succeeded;
	// without it the profiles and traces still speak.
	After:  []*analyze.Analyzer{census.Analyzer},
	Inputs: []analyze.Input{analyze.Streamed(bundle.KindGoroutineDump), analyze.Streamed(bundle.KindLog)},
	Run:    run,
}

// Site is one lock call site and what the sources say about it.
type Site struct {
	Waiter  stacks.Frame  // the user frame that waits (acquires)
	Holder  stacks.Frame  // the user frame that unlocks (holder's critical section)
	Kind    string        // "mutex", "rwmutex", "semaphore channel", "channel send", "channel" (receive), "select", "cond/waitgroup", "other"
	Delay   time.Duration // wait time
	Count   int64         // contentions or waits
	Parked  int           // goroutines parked in a census
	MaxWait int           // minutes
	Sources map[string]bool
	Stack   []stacks.Frame
}

type collector struct {
	waiters map[string]*Site // by waiter func + kind
	holders map[string]*Site // mutex profile: by holder func
	ev      []analyze.Evidence
	sev     analyze.Severity
	fams    map[string]bool
	dur     time.Duration // best known recording duration
	avgWait float64       // largest average (or census) number of lock waiters
	// semaphores are the user frames whose goroutines a core shows
	// blocked acquiring a semaphore channel.
	semaphores map[string]bool
	// judged counts the figures that had enough behind them; missing
	// lists those that did not.
	judged  int
	missing []analyze.Basis
}

func run(pass *analyze.Pass) (any, error) {
	c := &collector{waiters: map[string]*Site{}, holders: map[string]*Site{}, fams: map[string]bool{}}
	prof := cpu.ProfileOf(pass)
	if prof != nil {
		c.dur = prof.Wall
	}
	tr := traces.Of(pass)
	for _, t := range tr.Traces {
		c.dur = max(c.dur, t.Summary.Duration)
	}
	c.semaphores = semaphoreSites(Censuses(pass))
	c.fromProfiles(pass)
	c.fromTraces(tr)
	c.fromCensus(pass)
	c.fromCPU(prof)
	if len(c.fams) == 0 {
		return nil, nil
	}
	if c.judged == 0 && len(c.missing) > 0 {
		pass.Report(analyze.Insufficient(pass.Analyzer.Name, c.missing...))
		return nil, nil
	}
	pass.Report(c.finding())
	return nil, nil
}

func (c *collector) family(f string) { c.fams[f] = true }

// site returns the waiter site for a stack whose blocking frame is at i.
func (c *collector) site(st []stacks.Frame, i int, kind, source string) *Site {
	u := stacks.FirstUser(st, i+1)
	var w stacks.Frame
	if u >= 0 {
		w = st[u]
	} else if i >= 0 && i < len(st) {
		w = st[i]
	}
	k := kind + "|" + w.Func
	s := c.waiters[k]
	if s == nil {
		s = &Site{Waiter: w, Kind: kind, Sources: map[string]bool{}, Stack: st}
		c.waiters[k] = s
	}
	s.Sources[source] = true
	return s
}

// lockKind classifies a blocking stack by the primitive it waits on.
func lockKind(st []stacks.Frame) (int, string) {
	for i, f := range st {
		fn := f.Func
		switch {
		case strings.Contains(fn, "sync.(*RWMutex)") || strings.Contains(fn, "SemacquireRWMutex"):
			return i, "rwmutex"
		case strings.Contains(fn, "sync.(*Mutex)") || strings.Contains(fn, "SemacquireMutex"):
			return i, "mutex"
		case strings.HasPrefix(fn, "runtime.chansend"):
			return i, "channel send"
		case strings.HasPrefix(fn, "runtime.chanrecv"):
			return i, "channel"
		case strings.HasPrefix(fn, "runtime.selectgo"):
			return i, "select"
		case strings.HasPrefix(fn, "sync.(*Cond)") || strings.HasPrefix(fn, "sync.(*WaitGroup)"):
			return i, "cond/waitgroup"
		}
	}
	return -1, "other"
}

// isLock reports whether a kind is lock contention rather than idle
// waiting. Goroutines waiting on channels, select, conditions and wait
// groups are usually idle workers waiting for work, or producers held
// back by a slower consumer (a symptom of whatever slows it): neither is
// contention. A channel used as a semaphore is: a send acquires a slot
// and the holder's receive releases it, exactly like a lock.
func isLock(kind string) bool {
	return kind == "mutex" || kind == "rwmutex" || kind == kindSemaphore
}

// kindSemaphore is a channel send that the core shows acquiring a slot of
// a semaphore channel (goroutines.Goroutine.Semaphore).
const kindSemaphore = "semaphore channel"

// refine turns a channel send into a semaphore acquisition when a core's
// census showed goroutines blocked at the same user frame sending on a
// buffered chan struct{}; profiles and traces cannot tell the element
// size themselves.
func (c *collector) refine(st []stacks.Frame, i int, kind string) string {
	if kind != "channel send" || len(c.semaphores) == 0 {
		return kind
	}
	if u := stacks.FirstUser(st, i+1); u >= 0 && c.semaphores[st[u].Func] {
		return kindSemaphore
	}
	return kind
}

// finding ranks the sites and builds the finding.
func (c *collector) finding() analyze.Finding {
	// Locks before semaphores, then the longest waits first.
	sites := slices.SortedFunc(maps.Values(c.waiters), func(a, b *Site) int {
		if isLock(a.Kind) != isLock(b.Kind) {
			if isLock(a.Kind) {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(b.Delay, a.Delay), cmp.Compare(b.Parked, a.Parked),
			strings.Compare(a.Waiter.Func+a.Kind, b.Waiter.Func+b.Kind))
	})
	holders := slices.SortedFunc(maps.Values(c.holders), func(a, b *Site) int {
		return cmp.Or(cmp.Compare(b.Delay, a.Delay), strings.Compare(a.Holder.Func, b.Holder.Func))
	})
	// With w goroutines waiting on average behind the one holding the lock,
	// w/(w+1) of the goroutine time spent on the lock is waiting.
	f := analyze.Finding{ID: "lock_wait/contention", Severity: c.sev, Impact: analyze.Round(c.avgWait / (c.avgWait + 1)), Evidence: c.ev,
		Summary: "Signals from " + strings.Join(sortedKeys(c.fams), ", ") + "."}
	var top *Site
	if len(sites) > 0 && isLock(sites[0].Kind) {
		top = sites[0]
	}
	var holder *Site
	if len(holders) > 0 {
		holder = holders[0]
	}
	if c.sev == analyze.Info {
		f.Title = "Lock waits within normal bounds"
		f.Confidence = 0.85
	} else {
		f.Cause = analyze.CauseLockWait
		f.Confidence = min(0.95, 0.6+0.12*float64(len(c.fams)-1))
		if c.sev == analyze.Critical {
			f.Confidence = min(0.95, f.Confidence+0.1)
		}
		switch {
		case top != nil && top.Waiter.Func != "" && top.Kind == kindSemaphore:
			f.Culprit = culprit(top.Waiter)
			f.Title = "Goroutines queue for a slot of a semaphore channel in " + top.Waiter.Func
		case top != nil && top.Waiter.Func != "":
			f.Culprit = culprit(top.Waiter)
			f.Title = fmt.Sprintf("Goroutines queue on a %s acquired in %s", top.Kind, top.Waiter.Func)
		case holder != nil:
			f.Culprit = culprit(holder.Holder)
			f.Title = "Goroutines queue on a lock held in " + holder.Holder.Func
		default:
			f.Title = "Goroutines queue on runtime-internal locks"
		}
		if holder != nil && holder.Holder.Func != "" {
			f.Title += "; holder's critical section ends in " + enclosing(holder.Holder.Func)
		}
		f.Remedy = "Shorten the critical section (move I/O, allocation and computation out of it), shard the protected state (per-key or per-P locks), " +
			"use sync.RWMutex only for read-mostly data, or replace the lock with atomic values or a single owner goroutine fed by a channel."
		if top != nil && top.Kind == kindSemaphore {
			f.Remedy = "Shorten the work done while holding a slot (move I/O and sleeps out of it), raise the channel's capacity if the slots guard nothing scarce, " +
				"or bound concurrency where the work queues instead (a worker pool fed by a channel)."
		}
	}
	for i, s := range sites {
		if i >= 5 {
			break
		}
		title := fmt.Sprintf("waiters on %s at %s: %s waited over %d waits", s.Kind, s.Waiter.Func, s.Delay.Round(time.Microsecond), s.Count)
		if s.Parked > 0 {
			title += fmt.Sprintf(", %d parked in census (max %d min)", s.Parked, s.MaxWait)
		}
		f.Stacks = append(f.Stacks, analyze.Stack{Title: title + " [" + strings.Join(sortedKeys(s.Sources), ", ") + "]",
			Count: int64(s.Delay), Unit: "ns", Frames: cpu.FrameStrings(s.Stack, 24)})
	}
	for i, h := range holders {
		if i >= 3 {
			break
		}
		f.Stacks = append(f.Stacks, analyze.Stack{Title: fmt.Sprintf("holder's critical section (mutex profile, delay charged at unlock): %s, %s caused",
			h.Holder.Func, h.Delay.Round(time.Microsecond)), Count: int64(h.Delay), Unit: "ns", Frames: cpu.FrameStrings(h.Stack, 24)})
	}
	return f
}

func culprit(f stacks.Frame) *analyze.Culprit {
	return &analyze.Culprit{Function: f.Func, File: f.File, Line: f.Line}
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// enough records a basis as evidence and reports whether it reaches its
// minimum; a figure without enough behind it is listed as missing and
// left ungraded.
func (c *collector) enough(b analyze.Basis) bool {
	c.ev = append(c.ev, b.Evidence())
	if !b.Enough() {
		c.missing = append(c.missing, b)
		return false
	}
	return true
}

// grade records a metric against warn/crit thresholds.
func (c *collector) grade(e analyze.Evidence, warn, crit float64) {
	c.judged++
	if e.Unit == "goroutines" {
		c.avgWait = max(c.avgWait, e.Value)
	}
	sev, th := analyze.Grade(e.Value, warn, crit)
	c.sev = max(c.sev, sev)
	e.Threshold = analyze.Threshold(th)
	c.ev = append(c.ev, e)
}

// deferWrapRe matches the wrapper the compiler generates for a deferred
// call ("pkg.(*T).m.deferwrap1"): the critical section ends where the
// enclosing function returns.
var deferWrapRe = regexp.MustCompile(`\.deferwrap\d+$`)

// enclosing names the function a deferred Unlock belongs to, "pkg.(*T).m
// (deferred unlock)", and leaves other names as they are.
func enclosing(fn string) string {
	if loc := deferWrapRe.FindStringIndex(fn); loc != nil {
		return fn[:loc[0]] + " (deferred unlock)"
	}
	return fn
}
