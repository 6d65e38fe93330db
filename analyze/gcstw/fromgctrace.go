package gcstw

import (
	"fmt"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle/gctrace"
)

// fromGCTraceSummary judges one gctrace log: pauses always; the cycle
// rate, stopped and marking shares of wall time, GC CPU, forced cycles and
// the heap against its goal only over at least minCycles cycles spanning
// minSpan. Every rate and share says how many cycles it rests on.
func (s *signals) fromGCTraceSummary(path string, sum *gctrace.Summary, fromTrace bool, res *Result) {
	s.family("gctrace")
	s.liveMaxMB = max(s.liveMaxMB, sum.LiveMax)
	s.ev = append(s.ev, analyze.Evidence{Metric: "gctrace_cycles", Value: float64(sum.Cycles), Unit: "count", Artifact: path},
		analyze.Evidence{Metric: "gctrace_pause_total", Value: ms(sum.PauseTotal), Unit: "ms", Artifact: path},
		analyze.Evidence{Metric: "gctrace_pause_p99", Value: ms(sum.P99), Unit: "ms", Artifact: path},
		analyze.Evidence{Metric: "gctrace_pause_max", Value: ms(sum.PauseMax), Unit: "ms", Artifact: path})
	for _, c := range sum.CyclesList {
		if len(res.Cycles) < maxCyclesKept {
			res.Cycles = append(res.Cycles, Cycle{Source: path, Cycle: c})
		}
	}
	var long int
	for _, c := range sum.CyclesList {
		long += countOver([]time.Duration{c.SweepTerm, c.MarkTerm}, pauseMaxWarn)
	}
	s.check(analyze.Evidence{Metric: "gctrace_pauses_over_10ms", Value: float64(long), Unit: "count", Artifact: path}, minLongPauses, 0, "stops the world too long")
	if !fromTrace {
		for _, c := range sum.CyclesList {
			res.Pauses = append(res.Pauses,
				analyze.Pause{At: c.At, Duration: c.SweepTerm, Kind: "sweep termination", Source: path},
				analyze.Pause{At: c.At + c.SweepTerm + c.Mark, Duration: c.MarkTerm, Kind: "mark termination", Source: path})
		}
	}
	span := sum.Span
	window := fmt.Sprintf("%d cycles over %s", sum.Cycles, span.Round(time.Millisecond))
	if !s.enough(path, sum.Cycles, minShareCycles, span) {
		return
	}
	// Shares of wall time rest on the window they cover.
	s.check(analyze.Evidence{Metric: "gctrace_stw_share_of_wall", Value: analyze.Round(recurringShare(sum.PauseTotal, sum.PauseMax, span)), Unit: "fraction", Artifact: path,
		Note: window + recurringNote}, stwShareWarn, stwShareCritical, "stops the world too often")
	s.check(analyze.Evidence{Metric: "gctrace_mark_share_of_wall", Value: analyze.Round(min(1, float64(sum.MarkInSpan)/float64(span))), Unit: "fraction", Artifact: path,
		Note: "wall time from sweep termination to mark termination (the A+B+C ms clock), " + window}, markShareWarn, 0, "runs back to back")
	if procs := sum.MaxProcs; procs > 0 {
		s.check(analyze.Evidence{Metric: "gctrace_gc_cpu_share_window", Value: analyze.Round(float64(sum.BusyCPUInSpan) / (float64(span) * float64(procs))), Unit: "fraction",
			Artifact: path, Note: fmt.Sprintf("GC CPU without idle marking over GOMAXPROCS=%d × the span, %s", procs, window)}, gcCPUWarn, gcCPUCritical, "takes too much CPU")
	}
	s.check(analyze.Evidence{Metric: "gctrace_gc_cpu_share", Value: sum.CPUPercent / 100, Unit: "fraction", Artifact: path,
		Note: fmt.Sprintf("cumulative GC CPU share since program start, as the runtime printed it on the last of %d cycles", sum.Cycles)}, gcCPUWarn, gcCPUCritical, "takes too much CPU")
	s.fromHeapGoal(path, sum)
	// Rates rest on the number of cycles counted.
	if sum.Cycles < minCycles {
		s.ev = append(s.ev, analyze.Evidence{Metric: "gctrace_cycles_for_rates", Value: float64(sum.Cycles), Unit: "count", Artifact: path,
			Threshold: analyze.Threshold(minCycles), Note: "insufficient data for rates: " + window})
	} else {
		s.check(analyze.Evidence{Metric: "gctrace_cycles_per_second", Value: analyze.Round(float64(sum.Cycles-1) / span.Seconds()), Unit: "1/s", Artifact: path, Note: window},
			cyclesPerSecondWarn, 0, "runs back to back")
		s.fromForcedCycles(path, sum, window)
	}
	if sum.BelowGoal*2 > sum.Cycles {
		s.ev = append(s.ev, analyze.Evidence{Metric: "cycles_started_below_heap_goal", Value: float64(sum.BelowGoal), Unit: "count",
			Artifact: path, Note: fmt.Sprintf("of %d cycles: most began well below the heap goal", sum.Cycles)})
	}
}

// fromForcedCycles judges the cycles gctrace marks "(forced)".
func (s *signals) fromForcedCycles(path string, sum *gctrace.Summary, window string) {
	share := float64(sum.Forced) / float64(sum.Cycles)
	s.ev = append(s.ev, analyze.Evidence{Metric: "gctrace_forced_share", Value: analyze.Round(share), Unit: "fraction", Artifact: path,
		Threshold: analyze.Threshold(forcedShareWarn), Note: fmt.Sprintf("%d of %d cycles (forced)", sum.Forced, sum.Cycles)})
	rate := float64(sum.Forced) / sum.Span.Seconds()
	if s.check(analyze.Evidence{Metric: "gctrace_forced_cycles_per_second", Value: analyze.Round(rate), Unit: "1/s", Artifact: path,
		Note: fmt.Sprintf("%d forced cycles, %s", sum.Forced, window)}, forcedRateWarn, 0, "is forced by explicit calls") && share >= forcedShareWarn {
		s.forcedBy = append(s.forcedBy, fmt.Sprintf("%s: %d of %d cycles (forced)", path, sum.Forced, sum.Cycles))
	}
}

// fromHeapGoal reads who set the heap goal from gctrace's heap sizes.
func (s *signals) fromHeapGoal(path string, sum *gctrace.Summary) {
	h := heapGoalOf(sum.CyclesList)
	if h.pairs < minGoalBelowLive {
		return
	}
	of := fmt.Sprintf("over %d cycles that followed one with ≥ %d MB live", h.pairs, minPairLiveMB)
	s.ev = append(s.ev,
		analyze.Evidence{Metric: "gctrace_goal_headroom_over_live", Value: analyze.Round(h.headroom), Unit: "fraction", Artifact: path,
			Note: fmt.Sprintf("median (goal − previous live heap) / previous live heap %s; GOGC=100 gives about 1, below %.2f the memory limit sets the goal", of, limitHeadroom)},
		analyze.Evidence{Metric: "gctrace_goal_at_or_below_live_share", Value: analyze.Round(float64(h.atOrBelow) / float64(h.pairs)), Unit: "fraction", Artifact: path,
			Threshold: analyze.Threshold(goalBelowLiveShare), Note: fmt.Sprintf("%d cycles %s: a goal GOGC sets is always above the live heap", h.atOrBelow, of)})
	if h.limitSet() {
		s.limitBy = append(s.limitBy, fmt.Sprintf("%s: heap goal %.0f%% over the live heap, at or below it in %d of %d cycles", path, 100*h.headroom, h.atOrBelow, h.pairs))
	}
}
