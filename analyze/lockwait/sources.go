package lockwait

import (
	"errors"
	"strings"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/internal/logs"
	"github.com/coroner/coroner/analyze/internal/pprofs"
	"github.com/coroner/coroner/analyze/internal/samples"
	"github.com/coroner/coroner/analyze/internal/stacks"
	"github.com/coroner/coroner/analyze/traces"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/goroutines"
)

// fromProfiles reads mutex profiles (delay charged to the unlocker: the
// holder's critical section) and block profiles (delay at the waiter).
func (c *collector) fromProfiles(pass *analyze.Pass) {
	for _, l := range pprofs.Of(pass).All() {
		if l.Type != pprofs.Mutex && l.Type != pprofs.Block {
			continue
		}
		idx := pprofs.SampleIndex(l.Profile, "delay")
		cnt := pprofs.SampleIndex(l.Profile, "contentions")
		if idx < 0 {
			continue
		}
		pass.Used(l.Artifact.Path)
		c.family(string(l.Type) + " profile")
		var lockDelay, contentions int64
		for _, s := range l.Profile.Sample {
			if idx >= len(s.Value) {
				continue
			}
			d := s.Value[idx]
			var n int64
			if cnt >= 0 && cnt < len(s.Value) {
				n = s.Value[cnt]
			}
			contentions += n
			st := pprofs.Stack(s)
			if l.Type == pprofs.Mutex {
				lockDelay += d
				c.holder(st, d, n)
				continue
			}
			i, kind := lockKind(st)
			kind = c.refine(st, i, kind)
			site := c.site(st, i, kind, "block profile")
			site.Delay += time.Duration(d)
			site.Count += n
			if isLock(kind) {
				lockDelay += d
			}
		}
		dur := c.dur
		if l.Profile.DurationNanos > 0 {
			dur = time.Duration(l.Profile.DurationNanos)
		}
		metric := string(l.Type) + "_profile_lock_delay"
		basis := analyze.Basis{Metric: string(l.Type) + "_profile_contentions", Count: float64(contentions), Min: minContentions, Unit: "contentions",
			Artifact: l.Artifact.Path, Why: "the waiting average of fewer is a few long waits, not a queue"}
		if cnt < 0 {
			// A profile without contention counts: its samples are the count.
			basis.Count, basis.Unit = float64(len(l.Profile.Sample)), "samples"
		}
		if !c.enough(basis) {
			continue
		}
		if dur > 0 {
			c.grade(analyze.Evidence{Metric: metric + "_avg_waiters", Value: analyze.Round(float64(lockDelay) / float64(dur)), Unit: "goroutines",
				Artifact: l.Artifact.Path, Note: "lock wait time ÷ recording duration (" + dur.Round(time.Millisecond).String() + ")"}, waitersWarn, waitersCritical)
		} else {
			c.ev = append(c.ev, analyze.Evidence{Metric: metric, Value: analyze.Round(time.Duration(lockDelay).Seconds()), Unit: "s", Artifact: l.Artifact.Path,
				Note: "recording duration unknown: no rate can be judged"})
		}
	}
}

// holder charges mutex-profile delay to the unlocking user frame.
func (c *collector) holder(st []stacks.Frame, d, n int64) {
	i := -1
	for j, f := range st {
		if strings.Contains(f.Func, "Unlock") || strings.Contains(f.Func, "unlock") {
			i = j
		}
		if stacks.IsUser(f) {
			break
		}
	}
	u := stacks.FirstUser(st, i+1)
	if u < 0 {
		return
	}
	h := c.holders[st[u].Func]
	if h == nil {
		h = &Site{Holder: st[u], Kind: "mutex", Sources: map[string]bool{"mutex profile": true}, Stack: st}
		c.holders[st[u].Func] = h
	}
	h.Delay += time.Duration(d)
	h.Count += n
}

// fromTraces adds blocking on locks seen in execution traces.
func (c *collector) fromTraces(tr *traces.Result) {
	for _, t := range tr.Traces {
		if t.Summary.Duration <= 0 {
			continue
		}
		c.family("execution trace")
		if !c.enough(analyze.Basis{Metric: "trace_duration", Count: analyze.Round(t.Summary.Duration.Seconds()), Min: minTraceDuration.Seconds(), Unit: "s",
			Artifact: t.Path, Why: "a waiting average over a shorter trace follows one burst"}) {
			continue
		}
		var lock time.Duration
		for _, b := range t.Summary.Blocks {
			st := make([]stacks.Frame, len(b.Frames))
			for i, f := range b.Frames {
				st[i] = stacks.Frame{Func: f.Func, File: f.File, Line: f.Line}
			}
			// Only stacks through sync.Mutex/RWMutex count: the runtime also
			// blocks with reason "sync" inside the GC (gcMarkDone, assists
			// waiting for background credit), which is gc_stw's evidence.
			i, kind := lockKind(st)
			kind = c.refine(st, i, kind)
			if !isLock(kind) {
				continue
			}
			s := c.site(st, i, kind, "execution trace")
			s.Delay += b.Total
			s.Count += b.Count
			lock += b.Total
		}
		c.grade(analyze.Evidence{Metric: "trace_lock_wait_avg_waiters", Value: analyze.Round(float64(lock) / float64(t.Summary.Duration)), Unit: "goroutines",
			Artifact: t.Path, Note: "time goroutines spent blocked on sync.Mutex/RWMutex ÷ trace duration"}, waitersWarn, waitersCritical)
	}
}

// maxDumpBytes bounds a goroutine dump this analyzer parses: debug=2
// output stops at 64 MiB in the runtime; core censuses come through the
// goroutines analyzer.
const maxDumpBytes = 256 << 20

// fromCensus counts goroutines parked on locks in goroutine dumps and
// goroutine profiles: the censuses the goroutines analyzer read, and the
// dumps it did not (when it was skipped).
func (c *collector) fromCensus(pass *analyze.Pass) {
	censuses := Censuses(pass)
	seen := map[string]bool{}
	for _, cs := range censuses {
		seen[cs.Source] = true
	}
	for _, a := range append(pass.Artifacts(bundle.KindGoroutineDump), pass.Artifacts(bundle.KindLog)...) {
		if seen[a.Path] {
			pass.Used(a.Path)
			continue
		}
		cs, err := readDump(pass, a)
		if errors.Is(err, goroutines.ErrNoTraceback) {
			continue
		}
		if err != nil {
			pass.Warn(err.Error())
			continue
		}
		pass.Used(a.Path)
		censuses = append(censuses, cs)
	}
	var conv stacks.Converter
	// Goroutines parked in one place share a stack (goroutines.StackID):
	// its lock is found, and its site looked up, once.
	var locks goroutines.PerStack[stackLock]
	lockOf := func(fs []goroutines.Frame) stackLock {
		st := conv.FromGoroutine(fs)
		i, kind := lockKind(st)
		return stackLock{st, i, kind}
	}
	sites := map[siteKey]*Site{}
	// lastSite is, by stack, the site of the kind last found on it, which
	// the stack's other goroutines mostly share: their site is then found
	// without hashing its kind.
	var lastSite goroutines.StateCache[string, *Site]
	for _, cs := range censuses {
		c.family("goroutine census")
		parked, long := 0, 0
		// Every census shows the same process's goroutines (a core, its
		// crash log, a dump taken beside them): a site's parked count is
		// the most one census shows, not their sum.
		here := map[*Site]int{}
		for i := range cs.Goroutines {
			g := &cs.Goroutines[i]
			if !parkedOnLock(g) {
				continue
			}
			lk := locks.Of(g.Frames, lockOf)
			st, i, kind := lk.st, lk.i, lk.kind
			// Text dumps leave out runtime frames (chansend, semacquire):
			// there the wait reason says what the goroutine waits on.
			if g.WaitReason == "chan send" {
				kind = "channel send"
			}
			if g.Semaphore {
				kind = kindSemaphore
			} else {
				kind = c.refine(st, i, kind)
			}
			switch {
			case isLock(kind):
			case strings.Contains(g.WaitReason, "Mutex"):
				if kind == "other" {
					kind = "mutex"
				}
			default:
				continue
			}
			n := max(g.Count, 1)
			id := goroutines.IDOf(g.Frames)
			s, ok := lastSite.Get(id, kind)
			if !ok {
				sk := siteKey{id, kind}
				if s, ok = sites[sk]; !ok {
					s = c.site(st, i, kind, "goroutine census")
					sites[sk] = s
				}
				lastSite.Put(id, kind, s)
			}
			here[s] += n
			s.MaxWait = max(s.MaxWait, g.WaitMinutes)
			parked += n
			if g.WaitMinutes >= longWaitMinutes {
				long += n
			}
		}
		for s, n := range here {
			s.Parked = max(s.Parked, n)
		}
		c.grade(analyze.Evidence{Metric: "goroutines_parked_on_locks", Value: float64(parked), Unit: "goroutines", Artifact: cs.Source},
			parkedWarn, parkedCritical)
		if long > 0 {
			c.grade(analyze.Evidence{Metric: "goroutines_parked_on_locks_over_a_minute", Value: float64(long), Unit: "goroutines", Artifact: cs.Source},
				1, 0)
		}
	}
}

// stackLock is what a goroutine stack waits on: the frame of the
// primitive (lockKind's index) and its kind.
type stackLock struct {
	st   []stacks.Frame
	i    int
	kind string
}

// siteKey is a shared stack and the kind of wait its goroutines are in.
type siteKey struct {
	stack goroutines.StackID
	kind  string
}

// readDump parses a goroutine dump, or the last traceback of a service
// log (read from its tail).
func readDump(pass *analyze.Pass, a bundle.Artifact) (*goroutines.Census, error) {
	if a.Kind == bundle.KindLog {
		c, _, err := logs.Census(pass, a)
		return c, err
	}
	if a.Size > maxDumpBytes {
		return nil, errors.New(a.Path + ": goroutine dump too large to parse here")
	}
	rc, err := pass.Open(a)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return goroutines.ParseDump(rc, a.Path)
}

// parkedOnLock reports a goroutine that waits for a lock: parked, or
// woken by the holder's release and not yet run (runnable, its stack
// still in the lock's slow path). A running goroutine inside Lock takes
// an uncontended lock or already holds it.
func parkedOnLock(g *goroutines.Goroutine) bool {
	switch g.Status {
	case "waiting":
		return true
	case "runnable":
		for _, f := range g.Frames {
			if stacks.IsSyncMutexWait(stacks.Frame{Func: f.Func}) {
				return true
			}
		}
	}
	return false
}

// fromCPU measures runtime-internal lock time outside the scheduler
// (which netpoll_spin judges) and sync.Pool (whose slow path takes
// allPoolsMu and whose pinning contends on the runtime's locks:
// syncpool_contention judges those).
func (c *collector) fromCPU(p *cpu.Profile) {
	if p == nil || len(p.Sources) == 0 {
		return
	}
	_, share := p.ShareWhere(func(s cpu.Sample) bool {
		if s.Category == stacks.CatScheduler || s.Category == stacks.CatGC {
			return false
		}
		if _, sched := stacks.Any(s.Stack, stacks.IsScheduler); sched {
			return false
		}
		if _, pool := stacks.Any(s.Stack, stacks.IsSyncPoolAny); pool {
			return false
		}
		_, ok := stacks.Any(s.Stack, func(f stacks.Frame) bool { return stacks.IsRuntimeLock(f) || stacks.IsSyncMutexWait(f) })
		return ok
	})
	c.family("CPU profile")
	if !c.enough(samples.CPUBasis(p)) {
		return
	}
	if !p.Material(share) {
		share = 0 // too little CPU to matter
	}
	c.grade(analyze.Evidence{Metric: "cpu_share_lock_paths", Value: analyze.Round(share), Unit: "fraction", Artifact: p.Artifact(),
		Note: "runtime lock2/futex and sync.Mutex slow paths outside the scheduler, GC and sync.Pool"}, runtimeLockShareWarn, 0)
}
