package syncpool

import (
	"fmt"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/internal/samples"
	"github.com/coroner/coroner/analyze/internal/stacks"
)

// gathered accumulates the pool's signals across artifact families.
type gathered struct {
	ev       []analyze.Evidence
	sev      analyze.Severity
	families []string
	// judged is set when some family held enough samples to be judged;
	// missing holds, per family that did not, the bases that fell short.
	judged  bool
	missing []analyze.Basis
	culprit *analyze.Culprit
	stacks  []analyze.Stack
	impact  float64
	// newFn is the pool's New with the most CPU or allocation; newHot is
	// set when it crossed newShareWarn with the slow paths hot too.
	newFn  string
	newHot bool
	// newAlloc is New's share of all allocated bytes under Pool.Get.
	newAlloc float64
}

// fromCPU reads pool time in CPU samples.
func (g *gathered) fromCPU(prof *cpu.Profile) {
	if prof == nil || prof.Total == 0 {
		return
	}
	src := prof.Artifact()
	_, anyShare := prof.Share(stacks.IsSyncPoolAny)
	if anyShare == 0 {
		return
	}
	g.families = append(g.families, "CPU profile")
	b := samples.BasisOf(prof, minCPUSamples)
	of := fmt.Sprintf("of %d CPU samples", int64(b.Count))
	if !g.enough(b) {
		g.ev = append(g.ev, b.Evidence())
		return
	}
	g.judged = true
	_, slow := prof.Share(stacks.IsSyncPool)
	_, newShare := prof.ShareWhere(func(s cpu.Sample) bool { return newFrame(s.Stack) >= 0 })
	_, cleanup := prof.Share(func(f stacks.Frame) bool { return strings.HasPrefix(f.Func, "sync.poolCleanup") })
	s1, slowThreshold := analyze.Grade(slow, slowShareWarn, slowShareCritical)
	s2, _ := analyze.Grade(newShare, newShareWarn, 0)
	// A hot New alone is allocation pressure (gc_stw's); with slow paths
	// it is the pool failing to pool.
	if s1 == analyze.Info {
		s2 = analyze.Info
	}
	if !prof.Material(slow) {
		s1, s2 = analyze.Info, analyze.Info
	}
	g.sev = max(g.sev, s1, s2)
	g.impact = slow + newShare
	g.newHot = s2 >= analyze.Warning
	g.ev = append(g.ev,
		analyze.Evidence{Metric: "cpu_share_pool_slow_paths", Value: analyze.Round(slow), Unit: "fraction", Artifact: src,
			Threshold: analyze.Threshold(slowThreshold),
			Note:      "shared chains, getSlow, pinSlow, poolCleanup, " + of},
		analyze.Evidence{Metric: "cpu_share_pool_new", Value: analyze.Round(newShare), Unit: "fraction", Artifact: src, Threshold: analyze.Threshold(newShareWarn), Note: of},
		analyze.Evidence{Metric: "cpu_share_pool_cleanup", Value: analyze.Round(cleanup), Unit: "fraction", Artifact: src, Note: of},
		analyze.Evidence{Metric: "cpu_share_pool_all", Value: analyze.Round(anyShare), Unit: "fraction", Artifact: src, Note: "fast paths included, " + of})
	if hs := prof.Culprits(stacks.IsSyncPoolAny, 3); len(hs) > 0 {
		g.culprit = &analyze.Culprit{Function: hs[0].Func, File: hs[0].File, Line: hs[0].Line}
		g.stacks = append(g.stacks, analyze.Stack{Title: fmt.Sprintf("pool user in CPU samples (%.0f%% of pool time)", 100*hs[0].Share),
			Count: hs[0].Value, Unit: "ns", Frames: names(hs)})
	}
	g.newFn = hottestNew(prof)
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
	return heaviest(agg)
}

// heaviest returns the key with the largest value (ties by name).
func heaviest(agg map[string]int64) string {
	best := ""
	for fn, v := range agg {
		if best == "" || v > agg[best] || (v == agg[best] && fn < best) {
			best = fn
		}
	}
	return best
}

func names(hs []cpu.Hot) []string {
	var out []string
	for _, h := range hs {
		out = append(out, fmt.Sprintf("%s %s:%d (%.0f%%)", h.Func, h.File, h.Line, 100*h.Share))
	}
	return out
}

// enough records the bases that fall short of their minimum and reports
// whether all reach it.
func (g *gathered) enough(bases ...analyze.Basis) bool {
	ok := true
	for _, b := range bases {
		if !b.Enough() {
			g.missing = append(g.missing, b)
			ok = false
		}
	}
	return ok
}
