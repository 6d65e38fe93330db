// Package deadlock detects a process that is alive but stuck: all, or
// nearly all, user goroutines blocked on channels, mutexes, condition
// variables or select with nothing runnable, as a goroutine census shows
// it; and the runtime's own "all goroutines are asleep" fatal error. It
// names the groups involved and, where a core shows them, the lock and
// channel addresses the waiters share.
package deadlock

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/census"
	"github.com/coroner/coroner/analyze/traces"
	"github.com/coroner/coroner/bundle/goroutines"
)

// Analyzer is the deadlock analyzer.
var Analyzer = &analyze.Analyzer{
	Name: "deadlock",
	Doc: "goroutines blocked with none left to wake them\n\n" +
		"All or nearly all user goroutines blocked on channels, mutexes or select with none runnable, or the " +
		"runtime's \"all goroutines are asleep\" error. Names the groups involved and the lock addresses their " +
		"waiters share.",
	Version:  "3",
	Requires: []*analyze.Analyzer{census.Analyzer},
	// The trace analyzer reads the execution traces' progress windows.
	After:      []*analyze.Analyzer{traces.Analyzer},
	ResultType: reflect.TypeFor[*Result](),
	Run:        run,
}

// blockingReasons are wait reasons of goroutines parked on synchronization
// another goroutine must release (runtime waitReason strings).
func blocking(reason string) bool {
	switch {
	case strings.HasPrefix(reason, "chan "), strings.HasPrefix(reason, "select"),
		strings.HasPrefix(reason, "sync."), reason == "semacquire":
		return true
	}
	return false
}

// holdsBack reports wait reasons of goroutines held back by another
// goroutine: a lock or semaphore it holds, a WaitGroup it has not marked
// done, a send nobody takes, or a nil channel (blocked forever). A
// receive, a select or a Cond.Wait is also how an idle consumer waits for
// work: an idle worker pool has every worker there and nothing runnable
// between jobs, so those alone are not a stall.
func holdsBack(reason string) bool {
	switch {
	case strings.HasPrefix(reason, "chan send"), strings.HasSuffix(reason, "(nil chan)"),
		strings.HasPrefix(reason, "sync.Mutex"), strings.HasPrefix(reason, "sync.RWMutex"),
		reason == "sync.WaitGroup.Wait", reason == "semacquire":
		return true
	}
	return false
}

// Result describes the stall found, if any.
type Result struct {
	Blocked, User, Progressing int
	// Locks maps lock/channel address to the number of waiters seen.
	Locks map[uint64]int
}

func run(pass *analyze.Pass) (any, error) {
	gr := census.Of(pass)
	if gr == nil || gr.Census == nil {
		return nil, nil
	}
	if c, _ := gr.Crash(); c != nil && c.Crash.Message == "all goroutines are asleep - deadlock!" {
		pass.Report(runtimeDeadlock(c))
		return &Result{}, nil
	}
	c := stateful(gr)
	if c == nil {
		return nil, nil
	}
	if c.Format == "core" {
		if p := findPartial(c, readWindows(pass)); p != nil {
			pass.Report(p.finding(c))
			return &Result{Locks: map[uint64]int{}}, nil
		}
	}
	res := &Result{Locks: map[uint64]int{}}
	maxWait := -1
	observer := observers(c)
	heldBack := 0
	for i := range c.Goroutines {
		g := &c.Goroutines[i]
		if g.System || observer[i] {
			continue
		}
		n := max(g.Count, 1)
		res.User += n
		if g.Status == "waiting" && blocking(g.WaitReason) {
			res.Blocked += n
			maxWait = max(maxWait, g.WaitMinutes)
			if holdsBack(g.WaitReason) {
				heldBack += n
			}
		} else {
			res.Progressing += n
		}
	}
	tallyLocks(c, censusGroups(gr, c), res)
	basis := analyze.Basis{Metric: "user_goroutines", Count: float64(res.User), Min: minBlocked, Unit: "goroutines", Artifact: c.Source,
		Why: "the blocked share is taken of the census's user goroutines, those the capture did not start"}
	if !basis.Enough() {
		pass.Report(analyze.Insufficient(pass.Analyzer.Name, basis))
		return res, nil
	}
	if res.Blocked < minBlocked || heldBack == 0 {
		return res, nil
	}
	runnable := 0
	for i := range c.Goroutines {
		if g := &c.Goroutines[i]; !g.System && !observer[i] && (g.Status == "runnable" || g.Status == "running") {
			runnable += max(g.Count, 1)
		}
	}
	share := float64(res.Blocked) / float64(res.User)
	if share < nearlyAllBlocked || runnable > 0 || stillWoken(c, observer, readWindows(pass)) {
		return res, nil
	}
	f := stall(c, res, share, maxWait)
	f.Evidence = append(f.Evidence, basis.Evidence())
	pass.Report(f)
	return res, nil
}

// stillWoken reports whether an execution trace saw goroutines blocked
// where the held-back goroutines block being woken in its last
// minStuckWindow: the census caught a convoy between hand-offs (a busy
// semaphore or lock), not a stall. A stall that began before that has no
// wake there.
func stillWoken(c *goroutines.Census, observer map[int]bool, windows []*traces.Window) bool {
	for _, w := range windows {
		if w.Duration < minStuckWindow {
			continue
		}
		for i := range c.Goroutines {
			g := &c.Goroutines[i]
			if g.System || observer[i] || g.Status != "waiting" || !holdsBack(g.WaitReason) {
				continue
			}
			s, ok := traces.SiteOf(g.Frames)
			if !ok {
				continue
			}
			if t, woken := w.LastWake[s]; woken && t >= w.Duration-minStuckWindow {
				return true
			}
		}
	}
	return false
}

// tallyLocks counts waiters per lock or channel address. A core probes a
// few goroutines per stack; when every probed member of a group waits on
// one address, the whole group is counted there, since goroutines with
// identical stacks at the same wait reason wait on the same object unless
// the probes show otherwise; else only probed goroutines are counted.
func tallyLocks(c *goroutines.Census, groups []goroutines.Bucket, res *Result) {
	for _, g := range groups {
		if g.System || g.Status != "waiting" || !blocking(g.WaitReason) {
			continue
		}
		if len(g.LockAddrs) == 1 {
			res.Locks[g.LockAddrs[0]] += g.Count
		}
	}
	multi := map[string]bool{}
	for _, g := range groups {
		if len(g.LockAddrs) > 1 {
			multi[g.Key] = true
		}
	}
	if len(multi) == 0 {
		return
	}
	keys := map[groupKeyInput]string{}
	// Whether a goroutine's group is one of them depends on its stack,
	// status and wait reason: what the stack's last goroutine found is
	// kept, and looked up again (hashing the state) only for a goroutine
	// in another state.
	type waitState struct{ status, reason string }
	var lastOf goroutines.StateCache[waitState, bool]
	for i := range c.Goroutines {
		g := &c.Goroutines[i]
		if g.LockAddr == 0 || g.System || g.Status != "waiting" {
			continue
		}
		id, st := goroutines.IDOf(g.Frames), waitState{g.Status, g.WaitReason}
		inMulti, ok := lastOf.Get(id, st)
		if !ok {
			inMulti = multi[groupKeyOf(keys, g)]
			lastOf.Put(id, st, inMulti)
		}
		if inMulti {
			res.Locks[g.LockAddr] += max(g.Count, 1)
		}
	}
}

// groupKeyInput is what a group key is made of: the state, the wait
// reason and the frames, named by their slice. Goroutines parked in the
// same place share one frames slice (the core reader interns stacks), and
// equal slices have equal frames.
type groupKeyInput struct {
	status, reason string
	stack          goroutines.StackID
}

// groupKeyOf finds the key of the group g belongs to, once per distinct
// input in keys: a million waiters in a few stacks are grouped a few
// times, not a million.
func groupKeyOf(keys map[groupKeyInput]string, g *goroutines.Goroutine) string {
	in := groupKeyInput{status: g.Status, reason: g.WaitReason, stack: goroutines.IDOf(g.Frames)}
	if k, ok := keys[in]; ok {
		return k
	}
	one := &goroutines.Census{Goroutines: []goroutines.Goroutine{*g}}
	k := goroutines.Group(one)[0].Key
	keys[in] = k
	return k
}

// censusGroups returns the groups of c, one of gr's censuses: those the
// census analyzer made when c is its best, else c grouped now.
func censusGroups(gr *census.Result, c *goroutines.Census) []goroutines.Bucket {
	if c == gr.Census && gr.Groups != nil {
		return gr.Groups
	}
	return goroutines.Group(c)
}

// stateful returns the best census that carries goroutine states.
func stateful(gr *census.Result) *goroutines.Census {
	for _, c := range gr.All {
		switch c.Format {
		case "core", "crash", "sigquit", "debug2":
			return c
		}
	}
	return nil
}

// observers returns the goroutines that exist or run only because the
// process was being observed when the census was taken: those in the
// profilers and the tracer (runtime/pprof, net/http/pprof, runtime/trace
// — the goroutine writing a debug=2 dump among them), those they started
// (an HTTP handler's background reader), and connections the HTTP server
// accepted but had not yet run, which a capture fetching several profiles
// at once keeps opening. None of them says whether the program itself
// can progress.
func observers(c *goroutines.Census) map[int]bool {
	out := map[int]bool{}
	ids := map[int64]bool{}
	var inside goroutines.PerStack[bool] // a stack in a profiler or the tracer
	for i := range c.Goroutines {
		g := &c.Goroutines[i]
		switch {
		case inside.Of(g.Frames, observing):
			out[i] = true
			ids[g.ID] = true
		case unstartedConn(g):
			out[i] = true
		}
	}
	// The goroutines the observers started; a second pass over the
	// census only when there are observers.
	if len(ids) == 0 {
		return out
	}
	for i := range c.Goroutines {
		if g := &c.Goroutines[i]; g.CreatorID != 0 && ids[g.CreatorID] {
			out[i] = true
		}
	}
	return out
}

// observing reports a stack inside a profiler or the tracer.
func observing(frames []goroutines.Frame) bool {
	for _, f := range frames {
		for _, p := range []string{"runtime/pprof.", "net/http/pprof.", "runtime/trace."} {
			if strings.HasPrefix(f.Func, p) {
				return true
			}
		}
	}
	return false
}

// unstartedConn reports a connection goroutine the HTTP server created
// that has not run yet: its stack holds only the go statement's wrapper.
func unstartedConn(g *goroutines.Goroutine) bool {
	if g.Status != "runnable" || g.CreatedBy == nil || !strings.HasPrefix(g.CreatedBy.Func, "net/http.(*Server).Serve") {
		return false
	}
	for _, f := range g.Frames {
		if f.Func != "runtime.goexit" && !strings.Contains(f.Func, ".gowrap") {
			return false
		}
	}
	return true
}

func stall(c *goroutines.Census, res *Result, share float64, maxWait int) analyze.Finding {
	conf, sev := confidenceNearly, analyze.Warning
	if res.Blocked == res.User {
		conf, sev = confidenceAll, analyze.Critical
	}
	if maxWait >= stuckMinutes {
		conf += confidenceLongWait
	}
	var blocked []goroutines.Bucket
	for _, g := range goroutines.Group(c) {
		if !g.System && g.Status == "waiting" && blocking(g.WaitReason) {
			blocked = append(blocked, g)
		}
	}
	var culprit *analyze.Culprit
	if len(blocked) > 0 {
		if f := goroutines.TopUserFrame(blocked[0].Frames); f != nil {
			culprit = &analyze.Culprit{Function: f.Func, File: f.File, Line: f.Line}
		}
	}
	ev := []analyze.Evidence{
		{Metric: "blocked_share", Value: share, Unit: "ratio", Threshold: analyze.Threshold(nearlyAllBlocked), Artifact: c.Source},
		{Metric: "blocked_goroutines", Value: float64(res.Blocked), Unit: "goroutines", Artifact: c.Source},
		{Metric: "progressing_goroutines", Value: float64(res.Progressing), Unit: "goroutines", Artifact: c.Source},
	}
	if maxWait >= 0 {
		ev = append(ev, analyze.Evidence{Metric: "max_wait", Value: float64(maxWait), Unit: "minutes", Artifact: c.Source})
	}
	var stacks []analyze.Stack
	for i, g := range blocked {
		if i == maxStacks {
			break
		}
		title := fmt.Sprintf("%d × %s", g.Count, g.WaitReason)
		if len(g.LockAddrs) > 0 {
			title += " on " + addrList(g.LockAddrs)
		}
		stacks = append(stacks, analyze.Stack{Title: title, Count: int64(g.Count), Unit: "goroutines", Frames: census.FrameStrings(g.Frames)})
	}
	return analyze.Finding{
		ID:         "deadlock/stall",
		Title:      fmt.Sprintf("%d of %d user goroutines blocked on channels or locks, none runnable", res.Blocked, res.User),
		Severity:   sev,
		Confidence: min(conf, 1),
		Cause:      analyze.CauseDeadlock,
		Culprit:    culprit,
		Summary:    summary(res, blocked),
		Evidence:   ev,
		Stacks:     stacks,
		Remedy:     "Find the goroutine that should release the shared lock or send on the channel: look for a lock-order inversion (two groups each holding the other's lock), a missing Unlock on an error path, or a receiver that exited. Lock addresses shared by several groups point at the contended object.",
	}
}

// summary names the groups and the shared lock addresses.
func summary(res *Result, blocked []goroutines.Bucket) string {
	var parts []string
	for i, g := range blocked {
		if i == maxStacks {
			parts = append(parts, fmt.Sprintf("… %d more groups", len(blocked)-maxStacks))
			break
		}
		where := "?"
		if f := goroutines.TopUserFrame(g.Frames); f != nil {
			where = f.Func
		}
		parts = append(parts, fmt.Sprintf("%d in %s (%s)", g.Count, where, g.WaitReason))
	}
	s := "Blocked groups: " + strings.Join(parts, "; ") + "."
	if len(res.Locks) > 0 {
		addrs := make([]uint64, 0, len(res.Locks))
		for a := range res.Locks {
			addrs = append(addrs, a)
		}
		sort.Slice(addrs, func(i, j int) bool { return addrs[i] < addrs[j] })
		var ls []string
		for _, a := range addrs {
			ls = append(ls, fmt.Sprintf("%#x (%d waiters)", a, res.Locks[a]))
		}
		s += " Waited-on objects: " + strings.Join(ls, ", ") + "."
	}
	return s
}

func addrList(a []uint64) string {
	var s []string
	for _, x := range a {
		s = append(s, fmt.Sprintf("%#x", x))
	}
	return strings.Join(s, ", ")
}

// runtimeDeadlock reports the runtime's own verdict.
func runtimeDeadlock(c *goroutines.Census) analyze.Finding {
	var stacks []analyze.Stack
	var culprit *analyze.Culprit
	for i, g := range goroutines.Group(c) {
		if i == maxStacks {
			break
		}
		if g.System || g.Status != "waiting" {
			continue
		}
		if f := goroutines.TopUserFrame(g.Frames); f != nil && culprit == nil {
			culprit = &analyze.Culprit{Function: f.Func, File: f.File, Line: f.Line}
		}
		stacks = append(stacks, analyze.Stack{Title: fmt.Sprintf("%d × %s", g.Count, g.WaitReason), Count: int64(g.Count), Unit: "goroutines", Frames: census.FrameStrings(g.Frames)})
	}
	return analyze.Finding{
		ID:         "deadlock/runtime",
		Title:      "fatal error: all goroutines are asleep - deadlock!",
		Severity:   analyze.Critical,
		Confidence: 1,
		Cause:      analyze.CauseDeadlock,
		Culprit:    culprit,
		Summary:    fmt.Sprintf("The runtime found every goroutine blocked with no timer or I/O pending (%s).", c.Source),
		Evidence:   []analyze.Evidence{{Metric: "goroutines", Value: float64(c.Total()), Unit: "goroutines", Artifact: c.Source}},
		Stacks:     stacks,
		Remedy:     "Every goroutine waits on another: find the missing send, close or Unlock among the blocked stacks.",
	}
}
