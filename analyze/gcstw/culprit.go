package gcstw

import (
	"fmt"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/internal/pprofs"
	"github.com/coroner/coroner/analyze/internal/stacks"
	"github.com/coroner/coroner/analyze/traces"
)

// allocationCulprit names the allocation site driving the collector: the
// innermost user frame of the allocs profile's heaviest alloc_space stacks;
// without an allocs profile, the user frame above mallocgc (or a mark
// assist) in CPU samples; without either, the user frame where the trace
// shows goroutines drafted into mark assists.
func allocationCulprit(pass *analyze.Pass, prof *cpu.Profile, tr *traces.Result) (*analyze.Culprit, []analyze.Stack) {
	if best, total, used := topSite(pass, "alloc_space"); best != nil {
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
	return assistCulprit(tr)
}

// site is a user frame and the bytes of a heap profile's samples whose
// innermost user frame it is.
type site struct {
	f     stacks.Frame
	bytes int64
	stack []stacks.Frame
}

// topSite returns the user frame with the most bytes of sample type typ
// (alloc_space, inuse_space) over the heap and allocs profiles, the
// total, and the profile used.
func topSite(pass *analyze.Pass, typ string) (*site, int64, string) {
	agg := map[string]*site{}
	var total int64
	var used string
	for _, l := range pprofs.Of(pass).OfType(pprofs.Allocs) {
		idx := pprofs.SampleIndex(l.Profile, typ)
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
			u := blamedFrame(st)
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
	return best, total, used
}

// blamedFrame returns the index in st (innermost first) of the user frame
// an allocation is charged to: the innermost one, except for a sync.Pool's
// New, which runs only when Pool.Get finds the pool empty — and every
// cycle's poolCleanup empties the pools (sync/pool.go), so what New
// allocates follows the cycles rather than drives them. Its bytes are
// charged to the code that uses the pool, the first user frame past
// Pool.Get, which is where a maintainer can change how much is allocated.
func blamedFrame(st []stacks.Frame) int {
	u := stacks.FirstUser(st, 0)
	if u < 0 {
		return u
	}
	for i := u + 1; i < len(st); i++ {
		if st[i].Func == "sync.(*Pool).Get" {
			if past := stacks.FirstUser(st, i+1); past >= 0 {
				return past
			}
			break
		}
	}
	return u
}

// assistCulprit names the user frame with the most mark-assist time in
// the traces.
func assistCulprit(tr *traces.Result) (*analyze.Culprit, []analyze.Stack) {
	agg := map[string]time.Duration{}
	where := map[string]stacks.Frame{}
	var total time.Duration
	for _, t := range tr.Traces {
		for _, a := range t.Summary.Assists {
			fs := make([]stacks.Frame, len(a.Frames))
			for i, f := range a.Frames {
				fs[i] = stacks.Frame{Func: f.Func, File: f.File, Line: f.Line}
			}
			u := stacks.FirstUser(fs, 0)
			if u < 0 {
				continue
			}
			w := a.Total
			if w <= 0 {
				w = time.Duration(a.Count) // ranges still open: weigh by count
			}
			agg[fs[u].Func] += w
			where[fs[u].Func] = fs[u]
			total += w
		}
	}
	best := ""
	for fn, v := range agg {
		if best == "" || v > agg[best] || (v == agg[best] && fn < best) {
			best = fn
		}
	}
	if best == "" {
		return nil, nil
	}
	f := where[best]
	return &analyze.Culprit{Function: f.Func, File: f.File, Line: f.Line},
		[]analyze.Stack{{Title: fmt.Sprintf("allocating caller drafted into mark assists in the trace: %.0f%% of assist time", 100*float64(agg[best])/float64(max(total, 1))),
			Frames: []string{f.Func}}}
}
