package syncpool

import (
	"fmt"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/gcstw"
	"github.com/coroner/coroner/analyze/internal/pprofs"
	"github.com/coroner/coroner/analyze/internal/stacks"
)

// minAllocSamples: New's share of allocated bytes is judged over at least
// 100 heap-profile samples, i.e. 100 × 512 KiB allocated at the runtime's
// default MemProfileRate (runtime/mprof.go samples one allocation per
// 512 KiB on average).
const (
	minAllocSamples = 100
	memProfileRate  = 512 << 10
)

// newSite is a pool's New and the bytes it allocated under Pool.Get.
type newSite struct {
	frame stacks.Frame
	bytes int64
	stack []stacks.Frame
}

// fromAllocs reads how much of the allocated bytes the pools' New
// functions allocate under Pool.Get: a pool that keeps nothing makes every
// Get allocate.
func (g *gathered) fromAllocs(pass *analyze.Pass) {
	for _, l := range pprofs.Of(pass).OfType(pprofs.Allocs) {
		idx := pprofs.SampleIndex(l.Profile, "alloc_space")
		if idx < 0 {
			continue
		}
		var total int64
		sites := map[string]*newSite{}
		for _, s := range l.Profile.Sample {
			if idx >= len(s.Value) || s.Value[idx] <= 0 {
				continue
			}
			total += s.Value[idx]
			st := pprofs.Stack(s)
			i := newFrame(st)
			if i < 0 {
				continue
			}
			x := sites[st[i].Func]
			if x == nil {
				x = &newSite{frame: st[i], stack: st}
				sites[st[i].Func] = x
			}
			x.bytes += s.Value[idx]
		}
		var pool int64
		agg := map[string]int64{}
		for fn, x := range sites {
			pool += x.bytes
			agg[fn] = x.bytes
		}
		if pool == 0 {
			continue
		}
		pass.Used(l.Artifact.Path)
		g.families = append(g.families, "allocs profile")
		n := total / memProfileRate
		share := float64(pool) / float64(total)
		note := fmt.Sprintf("New under sync.(*Pool).Get: %d of %d bytes (about %d samples at the default MemProfileRate)", pool, total, n)
		if !g.enough(analyze.Basis{Metric: "alloc_samples", Count: float64(n), Min: minAllocSamples, Unit: "samples", Artifact: l.Artifact.Path,
			Why: "allocation samples at the default MemProfileRate behind the share"}) {
			note = "insufficient data: " + note
		} else {
			g.judged = true
			g.newAlloc = max(g.newAlloc, share)
		}
		g.ev = append(g.ev, analyze.Evidence{Metric: "alloc_share_pool_new", Value: analyze.Round(share), Unit: "fraction", Artifact: l.Artifact.Path,
			Threshold: analyze.Threshold(newAllocShareWarn), Note: note})
		top := sites[heaviest(agg)]
		if g.newFn == "" {
			g.newFn = top.frame.Func
		}
		g.stacks = append(g.stacks, analyze.Stack{Title: fmt.Sprintf("the pool's New allocating under Pool.Get: %.0f%% of alloc_space (%s)", 100*float64(top.bytes)/float64(total), l.Artifact.Path),
			Count: top.bytes, Unit: "bytes", Frames: cpu.FrameStrings(top.stack, 24)})
	}
}

// forcedFlush rewrites the finding when gc_stw found the collections
// forced and the pools keep nothing: every forced cycle runs poolCleanup,
// which moves each pool's contents to its victim cache and drops the
// previous victim, so a pool read less often than every second cycle on a
// P never returns anything and New allocates for every Get. The forcing
// caller is what has to change; the pool and its New only follow.
func (g *gathered) forcedFlush(f *analyze.Finding, gc *gcstw.Result) {
	missing := g.newAlloc >= newAllocShareWarn || g.newHot
	if !missing || g.newFn == "" {
		return
	}
	call := "runtime.GC()"
	f.ID = "syncpool_contention/emptied-by-forced-gc"
	f.Cause = analyze.CauseSyncPoolContention
	f.Severity = max(f.Severity, analyze.Warning)
	f.Title = fmt.Sprintf("sync.Pool emptied at every forced collection: Gets fall through to its New (%s)", g.newFn)
	if gc.Forcer != nil {
		f.Culprit = gc.Forcer
		f.Title += "; the cycles are forced by " + call + " calls in " + gc.Forcer.Function
	} else {
		f.Title += "; the cycles are forced by explicit " + call + " calls"
	}
	f.Summary += fmt.Sprintf(" The pool's allocation site is its New, %s; the forced cycles show in %s.", g.newFn, strings.Join(gc.ForcedWhy, "; "))
	// The forced collections account for the misses, not the misses for
	// the collections.
	f.Explains = nil
	f.Confidence = max(f.Confidence, 0.8)
	f.Remedy = "Stop forcing collections (runtime.GC, debug.FreeOSMemory) on a timer or a heap budget: each forced cycle empties every sync.Pool, " +
		"so the pool keeps nothing and its New allocates on every Get. Without the forced cycles the pool works as written; " +
		"to bound memory use GOMEMLIMIT instead."
}
