package deadlock

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/census"
	"github.com/coroner/coroner/analyze/traces"
	"github.com/coroner/coroner/bundle/goroutines"
)

// A partial deadlock leaves a live process serving: only the goroutines
// that touch the stuck locks pile up, so no share of blocked goroutines
// tells it apart from a busy lock convoy. What does: (1) over an execution
// trace's window, none of a mutex's waiters was woken, so the mutex was
// never released (a convoy's waiters turn over at every Unlock); and
// (2) in the core taken after the window, the goroutines waiting on the
// stuck mutexes hold each other's locks — a cycle in the graph "lock held
// → lock awaited" built from the locks each waiter's stack points to.

// Thresholds for partial deadlocks.
const (
	// minStuckWindow is the shortest trace window over which a mutex whose
	// waiters were never woken counts as stuck rather than held by a slow
	// critical section. sync.Mutex switches to starvation mode once a
	// waiter has waited 1 ms (starvationThresholdNs) and then hands the
	// lock to its waiters in turn; a contended lock not released for 500
	// times that is a stall in itself. It stays below one second, the
	// shortest trace pprof's trace endpoint takes (seconds=N, whole
	// seconds), whose first-to-last-event span may fall a little short.
	minStuckWindow = 500 * time.Millisecond
	// minStuckWait is, without a usable trace, how long (by the runtime's
	// g.waitsince, read from the core) every goroutine of a lock cycle must
	// have waited: the same bound as minStuckWindow, for the same reason.
	// The cycle already says each holds what the next waits for; the wait
	// rules out a transient queue whose held-lock reading was wrong (a
	// stale stack slot, a pointer to a struct that starts with a mutex).
	// waitsince is a lower bound: the runtime stamps it at the first GC
	// that sees the goroutine blocked.
	minStuckWait = minStuckWindow
	// confidenceCycleWait: a lock cycle whose goroutines all waited at
	// least minStuckWait, without a trace to show no lock was released.
	confidenceCycleWait = 0.8
	// confidenceCycle: a lock cycle whose every lock was never released
	// over the window; only a goroutine outside the cycle releasing one of
	// them later could break it, and none holds them.
	confidenceCycle = 0.95
	// confidenceStuckLock: waiters on a lock never released over the
	// window, no cycle seen (the holder may be blocked elsewhere, or have
	// returned without Unlock).
	confidenceStuckLock = 0.7
)

// lockWaiter reports a user goroutine parked on a sync.Mutex or
// sync.RWMutex whose semaphore the core shows.
func lockWaiter(g *goroutines.Goroutine) bool {
	return !g.System && g.Status == "waiting" && mutexWait(g.WaitReason) && g.LockAddr != 0
}

// mutexWait is true for the wait reasons of sync.Mutex and sync.RWMutex
// waiters (runtime waitReason strings), which sleep on a semaphore inside
// the lock.
func mutexWait(reason string) bool {
	return strings.HasPrefix(reason, "sync.Mutex") || strings.HasPrefix(reason, "sync.RWMutex")
}

// partial is a partial deadlock found in a core.
type partial struct {
	window *traces.Window
	// stuck are the locks (semaphore addresses) never released over the
	// window, with their waiters in the core.
	stuck map[uint64][]*goroutines.Goroutine
	// cycle lists the goroutines that hold one lock of a cycle each and wait
	// for the next, in cycle order; empty when no cycle was found.
	cycle []*goroutines.Goroutine
	// holders are other stuck waiters' held locks: lock → goroutine.
	holders map[uint64]*goroutines.Goroutine
	// chanStuck counts user goroutines blocked on channels for at least
	// minStuckWindow when the trace ended (the consequence of the stuck
	// lock holders, or unrelated).
	chanStuck int
}

// findPartial looks for mutexes in a core census that no trace window saw
// released, and for a cycle among them.
func findPartial(c *goroutines.Census, windows []*traces.Window) *partial {
	if c.Format != "core" {
		return nil
	}
	var w *traces.Window
	for _, x := range windows {
		if x.Duration >= minStuckWindow && (w == nil || x.Duration > w.Duration) {
			w = x
		}
	}
	byLock := waitersByLock(c)
	if w == nil {
		return cycleByWait(byLock)
	}
	if w.Progressing == 0 {
		// With nothing progressing the full-stall rule applies.
		return nil
	}
	p := &partial{window: w, stuck: map[uint64][]*goroutines.Goroutine{}, holders: map[uint64]*goroutines.Goroutine{}}
	for lock, ws := range byLock {
		if stuckLock(ws, w) {
			p.stuck[lock] = ws
		}
	}
	if len(p.stuck) == 0 {
		// The trace may predate the deadlock; the runtime's clock may
		// still show it.
		return cycleByWait(byLock)
	}
	var cands []*goroutines.Goroutine
	for i := range c.Goroutines {
		g := &c.Goroutines[i]
		if g.System || g.Status != "waiting" || !w.BlockedThrough(g.ID, minStuckWindow) {
			continue
		}
		cands = append(cands, g)
		if strings.HasPrefix(g.WaitReason, "chan ") {
			p.chanStuck++
		}
	}
	// The crowd is the stuck locks' waiters and the other candidates:
	// a candidate waiting on a stuck lock is among its waiters already.
	var crowd []*goroutines.Goroutine
	for _, ws := range p.stuck {
		crowd = append(crowd, ws...)
	}
	for _, g := range cands {
		if _, waits := p.stuck[g.LockAddr]; !waits || !lockWaiter(g) {
			crowd = append(crowd, g)
		}
	}
	p.holders = pickHolders(cands, crowd, p.stuck)
	p.cycle = lockCycle(p.stuck, p.holders)
	return p
}

// waitersByLock gathers c's lock waiters by the lock they wait on. One
// pass over the census lists the waiters and counts them per lock, so
// that each lock's list is then made once at its size: a crowd of a
// quarter of a million waiters behind one mutex, appended to a growing
// list, cost a copy and fresh pages at each growth (40 ms of the
// analyzer's time on a million goroutines), and a pass over a million
// goroutines' records costs about 25 ms itself. A run of waiters on one
// lock is counted without a map lookup each.
func waitersByLock(c *goroutines.Census) map[uint64][]*goroutines.Goroutine {
	counts := map[uint64]int{}
	var waiters []int // census indices
	var last uint64
	run := 0
	for i := range c.Goroutines {
		g := &c.Goroutines[i]
		if !lockWaiter(g) {
			continue
		}
		waiters = append(waiters, i)
		if g.LockAddr != last {
			if run > 0 {
				counts[last] += run
			}
			last, run = g.LockAddr, 0
		}
		run++
	}
	if run > 0 {
		counts[last] += run
	}
	byLock := make(map[uint64][]*goroutines.Goroutine, len(counts))
	for addr, n := range counts {
		byLock[addr] = make([]*goroutines.Goroutine, 0, n)
	}
	var ws []*goroutines.Goroutine // the list of last
	last = 0
	for _, i := range waiters {
		g := &c.Goroutines[i]
		if g.LockAddr != last || ws == nil {
			if ws != nil {
				byLock[last] = ws
			}
			last, ws = g.LockAddr, byLock[g.LockAddr]
		}
		ws = append(ws, g)
	}
	if ws != nil {
		byLock[last] = ws
	}
	return byLock
}

// cycleByWait finds, without a trace, a lock cycle among mutex waiters
// that have each waited at least minStuckWait by the runtime's clock; the
// stuck locks reported are the cycle's.
func cycleByWait(byLock map[uint64][]*goroutines.Goroutine) *partial {
	n := 0
	for _, ws := range byLock {
		n += len(ws)
	}
	cands := make([]*goroutines.Goroutine, 0, n)
	crowd := make([]*goroutines.Goroutine, 0, n) // every waiter, cands among them
	for _, ws := range byLock {
		crowd = append(crowd, ws...)
		for _, g := range ws {
			if g.WaitNanos >= int64(minStuckWait) {
				cands = append(cands, g)
			}
		}
	}
	holders := pickHolders(cands, crowd, byLock)
	cycle := lockCycle(byLock, holders)
	if len(cycle) == 0 {
		return nil
	}
	p := &partial{cycle: cycle, stuck: map[uint64][]*goroutines.Goroutine{}, holders: holders}
	for _, g := range cycle {
		p.stuck[g.LockAddr] = byLock[g.LockAddr]
	}
	return p
}

// pickHolders names, for each lock, the goroutine among cands that most
// likely holds it. A mutex has one holder, but a stack can point at a lock
// it does not hold (a pointer to a struct whose first field is the mutex
// reads as the mutex's address), and such readings come from the crowd
// queued at an acquiring call; so among the goroutines pointing at a lock
// the one whose user blocking site is shared by the fewest goroutines is
// taken (ties: the lowest goroutine ID). crowd lists each goroutine
// counted once: cands and the waiters of locks.
func pickHolders(cands, crowd []*goroutines.Goroutine, locks map[uint64][]*goroutines.Goroutine) map[uint64]*goroutines.Goroutine {
	at := map[traces.Site]int{} // how many of the crowd block at a site
	// A crowd shares a few stacks: each one's site is found once.
	type siteOf struct {
		site traces.Site
		ok   bool
	}
	var sites goroutines.PerStack[siteOf]
	find := func(fs []goroutines.Frame) siteOf {
		s, ok := traces.SiteOf(fs)
		return siteOf{s, ok}
	}
	site := func(g *goroutines.Goroutine) (traces.Site, bool) {
		s := sites.Of(g.Frames, find)
		return s.site, s.ok
	}
	for _, g := range crowd {
		if s, ok := site(g); ok {
			at[s]++
		}
	}
	size := func(g *goroutines.Goroutine) int {
		s, _ := site(g)
		return at[s]
	}
	out := map[uint64]*goroutines.Goroutine{}
	for _, g := range cands {
		for _, h := range g.HeldLocks {
			if _, ok := locks[h]; !ok {
				continue
			}
			if cur := out[h]; cur == nil || size(g) < size(cur) || size(g) == size(cur) && g.ID < cur.ID {
				out[h] = g
			}
		}
	}
	return out
}

// maxWait is the longest wait by the runtime's clock among the stuck
// waiters (0 when the core does not show it).
func (p *partial) maxWait() time.Duration {
	var m int64
	for _, ws := range p.stuck {
		for _, g := range ws {
			m = max(m, g.WaitNanos)
		}
	}
	return time.Duration(m)
}

// stuckLock: one of these waiters had been blocked for at least
// minStuckWindow when the trace ended, and since it blocked no goroutine
// blocked where any of them block was woken: an Unlock in that time would
// have woken one.
func stuckLock(ws []*goroutines.Goroutine, w *traces.Window) bool {
	lastWake := time.Duration(-1)
	for _, g := range ws {
		s, ok := traces.SiteOf(g.Frames)
		if !ok {
			return false
		}
		if t, woken := w.LastWake[s]; woken {
			lastWake = max(lastWake, t)
		}
	}
	for _, g := range ws {
		b, blocked := w.BlockedFor[g.ID]
		if blocked && b >= minStuckWindow && lastWake < w.Duration-b {
			return true
		}
	}
	return false
}

// lockCycle follows "lock → its holder → the lock the holder waits for"
// from each stuck lock in address order and returns the holders of the
// first cycle found.
func lockCycle(stuck map[uint64][]*goroutines.Goroutine, holders map[uint64]*goroutines.Goroutine) []*goroutines.Goroutine {
	locks := make([]uint64, 0, len(stuck))
	for l := range stuck {
		locks = append(locks, l)
	}
	sort.Slice(locks, func(i, j int) bool { return locks[i] < locks[j] })
	for _, start := range locks {
		pos := map[uint64]int{}
		var path []*goroutines.Goroutine
		for l := start; ; {
			if i, seen := pos[l]; seen {
				return path[i:]
			}
			h := holders[l]
			if h == nil {
				break
			}
			if _, ok := stuck[h.LockAddr]; !ok {
				break
			}
			pos[l] = len(path)
			path = append(path, h)
			l = h.LockAddr
		}
	}
	return nil
}

// stuckFor is the longest a stuck lock's waiter had been blocked when the
// trace ended.
func (p *partial) stuckFor() time.Duration {
	var d time.Duration
	for _, ws := range p.stuck {
		for _, g := range ws {
			d = max(d, p.window.BlockedFor[g.ID])
		}
	}
	return d
}

// stuckWaiters counts the goroutines waiting on stuck locks.
func (p *partial) stuckWaiters() int {
	n := 0
	for _, ws := range p.stuck {
		n += len(ws)
	}
	return n
}

func (p *partial) finding(c *goroutines.Census) analyze.Finding {
	id, conf := "deadlock/stuck-lock", confidenceStuckLock
	var title string
	if p.window != nil {
		title = fmt.Sprintf("%d goroutines wait on %d locks not released for %s", p.stuckWaiters(), len(p.stuck), round(p.stuckFor()))
	}
	var culprit *goroutines.Frame
	if len(p.cycle) > 0 {
		id, conf = "deadlock/cycle", confidenceCycle
		if p.window == nil {
			conf = confidenceCycleWait
		}
		title = fmt.Sprintf("Lock-order deadlock: %d goroutines each hold a lock the next waits for; %d goroutines stuck behind them", len(p.cycle), p.stuckWaiters())
		culprit = goroutines.TopUserFrame(p.cycle[0].Frames)
	} else {
		culprit = p.holderFrame()
	}
	if culprit == nil {
		culprit = p.largestGroupFrame()
	}
	f := analyze.Finding{
		ID:         id,
		Title:      title,
		Severity:   analyze.Critical,
		Confidence: conf,
		Cause:      analyze.CauseDeadlock,
		Summary:    p.summary(),
		Evidence:   p.evidence(c),
		Stacks:     p.stacks(),
		Remedy:     "Acquire the locks in one global order everywhere (or take them together under one lock), never call Lock on a second mutex while holding the first in an order another path reverses, and make sure every Lock has an Unlock on every path (defer). The goroutines listed hold the locks; restarting the process is the only way out of a deadlock already formed.",
	}
	if culprit != nil {
		f.Culprit = &analyze.Culprit{Function: culprit.Func, File: culprit.File, Line: culprit.Line}
	}
	return f
}

// holderFrame is where the holder of a stuck lock waits, if known.
func (p *partial) holderFrame() *goroutines.Frame {
	for _, l := range p.sortedLocks() {
		if h := p.holders[l]; h != nil {
			return goroutines.TopUserFrame(h.Frames)
		}
	}
	return nil
}

// largestGroupFrame is the user frame of the largest group of stuck
// waiters.
func (p *partial) largestGroupFrame() *goroutines.Frame {
	var all []*goroutines.Goroutine
	for _, ws := range p.stuck {
		all = append(all, ws...)
	}
	gs := goroutines.GroupPointers(all)
	if len(gs) == 0 {
		return nil
	}
	return goroutines.TopUserFrame(gs[0].Frames)
}

func (p *partial) sortedLocks() []uint64 {
	ls := make([]uint64, 0, len(p.stuck))
	for l := range p.stuck {
		ls = append(ls, l)
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i] < ls[j] })
	return ls
}

func (p *partial) summary() string {
	var b strings.Builder
	if len(p.cycle) > 0 {
		b.WriteString("Lock cycle: ")
		for i, g := range p.cycle {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "goroutine %d in %s holds %s and waits for %#x", g.ID, where(g), addrList(heldIn(g, p.stuck)), g.LockAddr)
		}
		b.WriteString(". ")
	}
	b.WriteString("Waiters on locks never released: ")
	for i, l := range p.sortedLocks() {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%#x: %s", l, groupsOf(p.stuck[l]))
		if h := p.holders[l]; h != nil {
			fmt.Fprintf(&b, " (held by goroutine %d, itself waiting: %s)", h.ID, h.WaitReason)
		}
	}
	if p.window != nil {
		fmt.Fprintf(&b, ". In the %s execution trace, %d goroutines ran, but no goroutine blocked where these waiters block was woken in the last %s, during which they stayed blocked: the locks were not released (an Unlock wakes a waiter).", round(p.window.Duration), p.window.Progressing, round(p.stuckFor()))
	} else {
		fmt.Fprintf(&b, ". The goroutines of the cycle have each waited at least %s by the runtime's clock (no execution trace to show the window).", round(minStuckWait))
	}
	if d := p.maxWait(); d > 0 {
		fmt.Fprintf(&b, " The longest wait the runtime recorded is %s (a lower bound: it counts from the first GC that saw the goroutine blocked).", round(d))
	}
	if p.chanStuck > 0 {
		fmt.Fprintf(&b, " %d more user goroutines had been blocked on channels for at least %s when the trace ended.", p.chanStuck, round(minStuckWindow))
	}
	return b.String()
}

// heldIn lists the stuck locks a goroutine holds.
func heldIn(g *goroutines.Goroutine, stuck map[uint64][]*goroutines.Goroutine) []uint64 {
	var out []uint64
	for _, h := range g.HeldLocks {
		if _, ok := stuck[h]; ok {
			out = append(out, h)
		}
	}
	return out
}

// groupsOf describes waiters by user frame: "30 in main.f (file:line), …".
func groupsOf(ws []*goroutines.Goroutine) string {
	n := map[string]int{}
	var at goroutines.PerStack[string] // where, once per shared stack
	for _, g := range ws {
		n[at.Of(g.Frames, whereFrames)]++
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if n[keys[i]] != n[keys[j]] {
			return n[keys[i]] > n[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d in %s", n[k], k))
	}
	return strings.Join(parts, ", ")
}

func where(g *goroutines.Goroutine) string { return whereFrames(g.Frames) }

// whereFrames names the top user frame of a stack, "?" when none.
func whereFrames(fs []goroutines.Frame) string {
	f := goroutines.TopUserFrame(fs)
	if f == nil {
		return "?"
	}
	return fmt.Sprintf("%s (%s:%d)", f.Func, shortFile(f.File), f.Line)
}

func shortFile(f string) string {
	if i := strings.LastIndexByte(f, '/'); i >= 0 {
		if j := strings.LastIndexByte(f[:i], '/'); j >= 0 {
			return f[j+1:]
		}
	}
	return f
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }

func (p *partial) evidence(c *goroutines.Census) []analyze.Evidence {
	var ev []analyze.Evidence
	if p.window != nil {
		ev = append(ev,
			analyze.Evidence{Metric: "stuck_for", Value: p.stuckFor().Seconds(), Unit: "seconds", Threshold: analyze.Threshold(minStuckWindow.Seconds()), Artifact: p.window.Path},
			analyze.Evidence{Metric: "trace_window", Value: p.window.Duration.Seconds(), Unit: "seconds", Artifact: p.window.Path},
			analyze.Evidence{Metric: "progressing_goroutines", Value: float64(p.window.Progressing), Unit: "goroutines", Artifact: p.window.Path})
	}
	ev = append(ev,
		analyze.Evidence{Metric: "stuck_locks", Value: float64(len(p.stuck)), Unit: "locks", Artifact: c.Source},
		analyze.Evidence{Metric: "stuck_waiters", Value: float64(p.stuckWaiters()), Unit: "goroutines", Artifact: c.Source})
	if d := p.maxWait(); d > 0 {
		e := analyze.Evidence{Metric: "max_wait", Value: d.Seconds(), Unit: "seconds", Artifact: c.Source}
		if p.window == nil {
			e.Threshold = analyze.Threshold(minStuckWait.Seconds())
		}
		ev = append(ev, e)
	}
	if len(p.cycle) > 0 {
		ev = append(ev, analyze.Evidence{Metric: "lock_cycle_length", Value: float64(len(p.cycle)), Unit: "goroutines", Artifact: c.Source})
	}
	return ev
}

// stacks shows the cycle's holders, then the waiter groups.
func (p *partial) stacks() []analyze.Stack {
	var out []analyze.Stack
	for _, g := range p.cycle {
		out = append(out, analyze.Stack{
			Title: fmt.Sprintf("goroutine %d holds %s, waits for %#x (%s)", g.ID, addrList(heldIn(g, p.stuck)), g.LockAddr, g.WaitReason),
			Count: 1, Unit: "goroutines", Frames: census.FrameStrings(g.Frames),
		})
	}
	inCycle := map[int64]bool{}
	for _, g := range p.cycle {
		inCycle[g.ID] = true
	}
	n := 0
	for _, gs := range p.stuck {
		n += len(gs)
	}
	all := make([]*goroutines.Goroutine, 0, n)
	for _, l := range p.sortedLocks() {
		for _, g := range p.stuck[l] {
			if !inCycle[g.ID] {
				all = append(all, g)
			}
		}
	}
	for _, g := range goroutines.GroupPointers(all) {
		if len(out) >= maxStacks {
			break
		}
		title := fmt.Sprintf("%d × %s", g.Count, g.WaitReason)
		if len(g.LockAddrs) > 0 {
			title += " on " + addrList(g.LockAddrs)
		}
		out = append(out, analyze.Stack{Title: title, Count: int64(g.Count), Unit: "goroutines", Frames: census.FrameStrings(g.Frames)})
	}
	return out
}

// readWindows returns the progress window of every execution trace the
// trace analyzer read.
func readWindows(pass *analyze.Pass) []*traces.Window {
	var out []*traces.Window
	if r := traces.Of(pass); r != nil {
		for _, t := range r.Traces {
			if t.Window != nil {
				pass.Used(t.Path)
				out = append(out, t.Window)
			}
		}
	}
	return out
}
