package netpoll

import (
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/internal/stacks"
)

// mayAssist reports whether the CPU samples show fn as code the collector
// drafts into mark assists: fn in a mark assist, or at least
// assistAllocShare of fn's CPU in the allocator and the collector's work
// charged to it (write barriers, assists). The runtime's GC assist yields
// only from inside an allocation (gcAssistAlloc, called by mallocgc,
// calls Gosched when preempted), and a loop polling with Gosched spends
// its CPU on its condition and the yield, not on allocating: so a
// goroutine a dump shows in runtime.Gosched right under such a function
// was most likely caught in an assist.
func mayAssist(prof *cpu.Profile, fn string) bool {
	if prof == nil {
		return false
	}
	var in, alloc int64
	for _, s := range prof.Samples {
		i, ok := stacks.Any(s.Stack, func(f stacks.Frame) bool { return f.Func == fn })
		if !ok {
			continue
		}
		in += s.Value
		if _, ok := stacks.Any(s.Stack[:i], stacks.IsGCAssist); ok {
			return true
		}
		if _, ok := stacks.Any(s.Stack[:i], isAllocOrGC); ok {
			alloc += s.Value
		}
	}
	return in > 0 && float64(alloc) >= assistAllocShare*float64(in)
}

func isAllocOrGC(f stacks.Frame) bool { return stacks.IsMalloc(f) || stacks.IsGC(f) }

// assistAllocShare: in CPU profiles of the test workloads, a loop
// allocating under GOGC=10 spent 0.58–0.72 of its CPU in the allocator and
// the collector on a quiet machine and 0.33–0.50 on one with a core kept
// busy (fewer samples, more preemption), while eight goroutines polling a
// flag with Gosched spent none there. A quarter sits between.
const assistAllocShare = 0.25
