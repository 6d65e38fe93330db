package gcstw

import (
	"sort"

	"github.com/coroner/coroner/bundle/gctrace"
)

// Who sets the heap goal, from gctrace's heap sizes. GOGC's goal is the
// live heap the previous cycle marked times 1+GOGC/100, plus stack and
// global scan work (gcPercentHeapGoal in runtime/mgcpacer.go), so it
// always lies above that live heap, by GOGC percent. The memory limit's
// goal (memoryLimitHeapGoal) is the limit less the runtime's other memory
// and a 3 % margin (memoryLimitHeapGoalHeadroomPercent): it stays where the
// limit puts it, however much is live, and the runtime takes the lower of
// the two. A heap held at a limit's goal shows a goal at, or even below,
// the live heap; a GOGC goal never does.
const (
	// minPairLiveMB: a cycle's goal is compared with the previous cycle's
	// live heap only from 10 MB: gctrace truncates sizes to whole MB, and
	// from 10 MB GOGC's headroom (≥ 1 MB for GOGC ≥ 10) survives the
	// truncation, so a goal printed at or below the live heap cannot come
	// from any GOGC of 10 or more.
	minPairLiveMB = 10
	// limitHeadroom: median headroom of the goal over the live heap below
	// which the goal is the memory limit's. GOGC=off under a limit leaves
	// the runtime's 3 % margin and whatever the limit adds; any GOGC a
	// service sets on purpose gives more (GOGC=10: 10 %). Measured: a heap
	// held at a limit 4 MiB above the working set 2–6 %; GOGC=10 10 %;
	// GOGC=100 about 100 %; healthy services keep under 10 MB live (no
	// pair judged).
	limitHeadroom = 0.05
	// goalBelowLiveShare: share of judged cycles whose goal was printed at
	// or below the previous live heap (impossible under GOGC ≥ 10, see
	// minPairLiveMB) that makes the limit the goal's setter; at least
	// minGoalBelowLive such cycles, so one change of setting (a lowered
	// GOGC) does not count. Measured: none in any healthy or GOGC-paced
	// capture.
	goalBelowLiveShare = 0.10
	minGoalBelowLive   = 3
)

// heapGoal summarizes the goal against the live heap over consecutive
// cycles.
type heapGoal struct {
	// pairs counts the cycles whose predecessor left ≥ minPairLiveMB live;
	// atOrBelow those of them whose goal was no larger.
	pairs, atOrBelow int
	// headroom is the median of (goal − previous live) / previous live.
	headroom float64
}

func heapGoalOf(cs []gctrace.Cycle) heapGoal {
	var h heapGoal
	var rooms []float64
	for i := 1; i < len(cs); i++ {
		prev, c := cs[i-1], cs[i]
		if c.N != prev.N+1 || prev.HeapLive < minPairLiveMB || c.Forced {
			continue
		}
		h.pairs++
		if c.HeapGoal <= prev.HeapLive {
			h.atOrBelow++
		}
		rooms = append(rooms, (c.HeapGoal-prev.HeapLive)/prev.HeapLive)
	}
	if len(rooms) > 0 {
		sort.Float64s(rooms)
		h.headroom = rooms[len(rooms)/2]
	}
	return h
}

// limitSet reports whether the memory limit, not GOGC, set the goal.
// Each cycle whose goal lies at or below the live heap proves it on its
// own; the median headroom needs minCycles of them.
func (h heapGoal) limitSet() bool {
	below := h.atOrBelow >= minGoalBelowLive && float64(h.atOrBelow) >= goalBelowLiveShare*float64(h.pairs)
	return below || (h.pairs >= minCycles && h.headroom < limitHeadroom)
}
