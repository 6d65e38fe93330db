package gcstw

import (
	"fmt"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/internal/pprofs"
	"github.com/coroner/coroner/analyze/internal/stacks"
)

// allocationCulprit names the allocation site driving the collector: the
// innermost user frame of the allocs profile's heaviest alloc_space stacks;
// without an allocs profile, the user frame above mallocgc (or a mark
// assist) in CPU samples.
func allocationCulprit(pass *analyze.Pass, prof *cpu.Profile) (*analyze.Culprit, []analyze.Stack) {
	type site struct {
		f     stacks.Frame
		bytes int64
		stack []stacks.Frame
	}
	agg := map[string]*site{}
	var total int64
	var used string
	for _, l := range pprofs.Of(pprofs.LoadAll(pass), pprofs.Allocs) {
		idx := pprofs.SampleIndex(l.Profile, "alloc_space")
		if idx < 0 {
			continue
		}
		used = l.Artifact.Path
		pass.Used(used)
		for _, s := range l.Profile.Sample {
			if idx >= len(s.Value) || s.Value[idx] <= 0 {
				continue
			}
			st := pprofs.Stack(s)
			u := stacks.FirstUser(st, 0)
			if u < 0 {
				continue
			}
			total += s.Value[idx]
			x := agg[st[u].Func]
			if x == nil {
				x = &site{f: st[u], stack: st}
				agg[st[u].Func] = x
			}
			x.bytes += s.Value[idx]
		}
	}
	var best *site
	for _, x := range agg {
		if best == nil || x.bytes > best.bytes || (x.bytes == best.bytes && x.f.Func < best.f.Func) {
			best = x
		}
	}
	if best != nil {
		title := fmt.Sprintf("top allocation site: %.0f%% of alloc_space (%s)", 100*float64(best.bytes)/float64(max(total, 1)), used)
		return &analyze.Culprit{Function: best.f.Func, File: best.f.File, Line: best.f.Line},
			[]analyze.Stack{{Title: title, Count: best.bytes, Unit: "bytes", Frames: cpu.FrameStrings(best.stack, 24)}}
	}
	for _, pred := range []func(stacks.Frame) bool{stacks.IsMalloc, stacks.IsGCAssist} {
		if hs := prof.Culprits(pred, 1); len(hs) > 0 {
			h := hs[0]
			return &analyze.Culprit{Function: h.Func, File: h.File, Line: h.Line},
				[]analyze.Stack{{Title: fmt.Sprintf("allocating caller in CPU samples: %.0f%% of allocator time", 100*h.Share), Count: h.Value, Unit: "ns", Frames: []string{h.Func}}}
		}
	}
	return nil, nil
}
