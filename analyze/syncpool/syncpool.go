// Package syncpool diagnoses sync.Pool contention: CPU in the pool's slow
// paths (getSlow stealing from other Ps and the victim cache), pinning
// (pin/pinSlow, which takes a global mutex when a pool's per-P array must
// grow), the lock-free poolChain/poolDequeue operations, poolCleanup at
// every GC start, and the pool's New running hot because Gets miss. The
// culprit is the user code calling the pool, and its New.
package syncpool

import (
	"fmt"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/internal/pprofs"
	"github.com/coroner/coroner/analyze/internal/stacks"
)

// Analyzer is the syncpool_contention analyzer.
var Analyzer = &analyze.Analyzer{
	Name:     "syncpool_contention",
	Doc:      "CPU in sync.Pool slow paths, pinning, poolChain operations and poolCleanup at GC, the pool's New running hot, and pool locks in mutex profiles; culprit: the pool's user and its New",
	Version:  "1",
	Requires: []*analyze.Analyzer{cpu.Analyzer},
	Run:      run,
}

// Thresholds.
const (
	// slowShareWarn: a Get or Put that hits its P's private slot costs a
	// few nanoseconds, and the slow paths run only when the local shard is
	// empty, so pool internals are normally far below 1 % of CPU even in
	// pool-heavy servers. 5 % in slow paths, pinning and poolChain
	// operations means Gets routinely miss locally and steal across Ps.
	slowShareWarn = 0.05
	// slowShareCritical: pool bookkeeping costing 15 % of CPU outweighs the
	// allocations the pool exists to save.
	slowShareCritical = 0.15
	// newShareWarn: the pool's New running in more than 5 % of CPU samples
	// means Gets come back empty — the pool is drained every GC (poolCleanup
	// moves it to the victim cache and drops the old victim) or objects are
	// put back on other Ps than they are taken from.
	newShareWarn = 0.05
	// mutexShareWarn: share of mutex-profile delay in pool frames (pinSlow
	// takes allPoolsMu); any sizable share is abnormal since steady-state
	// pool use takes no lock. 10 % of the recorded delay.
	mutexShareWarn = 0.10
)

func run(pass *analyze.Pass) (any, error) {
	prof, _ := pass.ResultOf(cpu.Analyzer).(*cpu.Profile)
	var ev []analyze.Evidence
	sev := analyze.Info
	var families []string
	var culprit *analyze.Culprit
	var newFn string
	var sts []analyze.Stack
	var impact float64
	var newHot bool

	grade := func(v, warn, crit float64) analyze.Severity {
		switch {
		case crit > 0 && v >= crit:
			return analyze.Critical
		case v >= warn:
			return analyze.Warning
		}
		return analyze.Info
	}
	if prof != nil && prof.Total > 0 {
		src := strings.Join(prof.Sources, ",")
		_, any := prof.Share(stacks.IsSyncPoolAny)
		if any > 0 {
			families = append(families, "CPU profile")
			_, slow := prof.Share(stacks.IsSyncPool)
			_, newShare := prof.ShareWhere(func(s cpu.Sample) bool { return newFrame(s.Stack) >= 0 })
			_, cleanup := prof.Share(func(f stacks.Frame) bool { return strings.HasPrefix(f.Func, "sync.poolCleanup") })
			s1 := grade(slow, slowShareWarn, slowShareCritical)
			s2 := grade(newShare, newShareWarn, 0)
			// A hot New alone is allocation pressure (gc_stw's); with slow
			// paths it is the pool failing to pool.
			if s1 == analyze.Info {
				s2 = analyze.Info
			}
			if !prof.Material(slow) {
				s1, s2 = analyze.Info, analyze.Info
			}
			sev = max(sev, s1, s2)
			impact = slow + newShare
			newHot = s2 >= analyze.Warning
			ev = append(ev,
				analyze.Evidence{Metric: "cpu_share_pool_slow_paths", Value: round(slow), Unit: "fraction", Artifact: src,
					Threshold: analyze.Threshold(pick(s1 == analyze.Critical, slowShareCritical, slowShareWarn)),
					Note:      "getSlow, pin/pinSlow, poolChain/poolDequeue, poolCleanup"},
				analyze.Evidence{Metric: "cpu_share_pool_new", Value: round(newShare), Unit: "fraction", Artifact: src, Threshold: analyze.Threshold(newShareWarn)},
				analyze.Evidence{Metric: "cpu_share_pool_cleanup", Value: round(cleanup), Unit: "fraction", Artifact: src},
				analyze.Evidence{Metric: "cpu_share_pool_all", Value: round(any), Unit: "fraction", Artifact: src})
			if hs := prof.Culprits(stacks.IsSyncPoolAny, 3); len(hs) > 0 {
				culprit = &analyze.Culprit{Function: hs[0].Func, File: hs[0].File, Line: hs[0].Line}
				sts = append(sts, analyze.Stack{Title: fmt.Sprintf("pool user in CPU samples (%.0f%% of pool time)", 100*hs[0].Share),
					Count: hs[0].Value, Unit: "ns", Frames: names(hs)})
			}
			newFn = hottestNew(prof)
		}
	}
	for _, l := range pprofs.LoadAll(pass) {
		if l.Type != pprofs.Mutex && l.Type != pprofs.Block {
			continue
		}
		share, user := poolDelay(l)
		if share <= 0 {
			continue
		}
		pass.Used(l.Artifact.Path)
		families = append(families, string(l.Type)+" profile")
		if l.Type == pprofs.Mutex {
			sev = max(sev, grade(share, mutexShareWarn, 0))
		}
		ev = append(ev, analyze.Evidence{Metric: string(l.Type) + "_delay_share_in_pool", Value: round(share), Unit: "fraction",
			Artifact: l.Artifact.Path, Threshold: analyze.Threshold(mutexShareWarn)})
		if culprit == nil && user != nil {
			culprit = user
		}
	}
	if len(families) == 0 {
		return nil, nil
	}
	f := analyze.Finding{ID: "syncpool_contention/pool", Severity: sev, Impact: round(min(1, impact)), Evidence: ev, Stacks: sts,
		Summary: "Signals from " + strings.Join(families, ", ") + "."}
	if sev == analyze.Info {
		f.Title = "sync.Pool use within normal bounds"
		f.Confidence = 0.9
	} else {
		f.Cause = analyze.CauseSyncPoolContention
		f.Culprit = culprit
		f.Title = "sync.Pool contention: Gets miss the per-P cache and take the slow path"
		if culprit != nil {
			f.Title += " in " + culprit.Function
		}
		if newFn != "" {
			f.Summary += " The pool's New (" + newFn + ") runs hot."
		}
		if newHot {
			// Misses make New allocate, and every GC empties the pools
			// (poolCleanup), which makes New run again: the pool drives the
			// collector, not the other way round.
			f.Explains = []string{analyze.CauseGCSTW}
		}
		f.Confidence = min(0.95, 0.65+0.1*float64(len(families)-1))
		if sev == analyze.Critical {
			f.Confidence = min(0.95, f.Confidence+0.1)
		}
		f.Remedy = "Get and Put on the same goroutine (a pooled object handed to another goroutine is Put on another P and stolen back through getSlow); " +
			"keep pooled objects small and uniform; avoid pooling objects that live across GC cycles (poolCleanup empties pools at every GC); " +
			"for hand-off between goroutines use a buffered channel as a free list instead."
	}
	pass.Report(f)
	return nil, nil
}

// newFrame returns the index of the pool's New function in stack: the frame
// directly called by sync.(*Pool).Get (or getSlow), or -1.
func newFrame(st []stacks.Frame) int {
	for i := 1; i < len(st); i++ {
		if strings.HasPrefix(st[i].Func, "sync.(*Pool).Get") && !stacks.IsSyncPoolAny(st[i-1]) {
			return i - 1
		}
	}
	return -1
}

// hottestNew names the New function with the most CPU.
func hottestNew(p *cpu.Profile) string {
	agg := map[string]int64{}
	for _, s := range p.Samples {
		if i := newFrame(s.Stack); i >= 0 {
			agg[s.Stack[i].Func] += s.Value
		}
	}
	best := ""
	for fn, v := range agg {
		if best == "" || v > agg[best] || (v == agg[best] && fn < best) {
			best = fn
		}
	}
	return best
}

// poolDelay returns the share of a contention profile's delay in pool
// frames and the user frame calling the pool in the heaviest such stack.
func poolDelay(l pprofs.Loaded) (float64, *analyze.Culprit) {
	idx := pprofs.SampleIndex(l.Profile, "delay")
	if idx < 0 {
		return 0, nil
	}
	var total, pool, best int64
	var user *analyze.Culprit
	for _, s := range l.Profile.Sample {
		if idx >= len(s.Value) {
			continue
		}
		v := s.Value[idx]
		total += v
		st := pprofs.Stack(s)
		i, ok := stacks.Any(st, stacks.IsSyncPoolAny)
		if !ok {
			continue
		}
		pool += v
		if u := stacks.FirstUser(st, i+1); u >= 0 && v > best {
			best = v
			user = &analyze.Culprit{Function: st[u].Func, File: st[u].File, Line: st[u].Line}
		}
	}
	if total <= 0 {
		return 0, nil
	}
	return float64(pool) / float64(total), user
}

func names(hs []cpu.Hot) []string {
	var out []string
	for _, h := range hs {
		out = append(out, fmt.Sprintf("%s %s:%d (%.0f%%)", h.Func, h.File, h.Line, 100*h.Share))
	}
	return out
}

func pick(c bool, a, b float64) float64 {
	if c {
		return a
	}
	return b
}

func round(v float64) float64 { return float64(int64(v*10000+0.5)) / 10000 }
