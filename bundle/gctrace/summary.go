package gctrace

import (
	"io"
	"sort"
	"time"
)

// Summary aggregates a gctrace log.
type Summary struct {
	Cycles int
	Forced int
	// Span is the time between the first and the last cycle's start.
	Span time.Duration
	// First is the first cycle's start since program start.
	First time.Duration
	// Pauses are every stop-the-world pause: two per cycle.
	PauseCount                int
	PauseTotal, PauseMax, P99 time.Duration
	AssistCPU, BackgroundCPU  time.Duration
	MarkTermCPU, TotalCPU     time.Duration
	// CPUPercent is the last cycle's cumulative GC CPU share.
	CPUPercent float64
	// MaxProcs is the largest P count seen.
	MaxProcs int
	// GoalMax and LiveMax are the largest heap goal and live heap, MB.
	GoalMax, LiveMax float64
	// BelowGoal counts cycles that started before the heap reached its goal
	// by more than a tenth — the signature of a memory limit or a forced
	// collection driving the pace instead of GOGC.
	BelowGoal int
	// MarkInSpan sums the wall-clock time, sweep termination to mark
	// termination, of every cycle but the last: the cycles that ran inside
	// Span. BusyCPUInSpan sums their GC CPU time without idle marking.
	MarkInSpan, BusyCPUInSpan time.Duration
	// CyclesList holds every cycle, in input order, for timelines.
	CyclesList []Cycle
	Skipped    int
	Truncated  bool
}

// maxKept bounds CyclesList: a service collecting every 10 ms for an hour
// logs 360k cycles; the summary's figures cover them all, the list keeps
// the first maxKept for the timeline.
const maxKept = 100000

// Summarize reads every cycle of r.
func Summarize(r io.Reader, name string) (*Summary, error) {
	rd := NewReader(r, name)
	var sm summarizer
	for {
		c, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		sm.add(c)
	}
	return sm.finish(rd.Skipped(), rd.Truncated()), nil
}

// Mention is a line of a log that mentions "gc " (Mentions) and its
// 1-based line number.
type Mention struct {
	Line int
	Text string
}

// SummarizeMentions is Summarize of a log of total lines, none longer
// than MaxLine, given only its lines that mention "gc ": every other line
// is one Summarize would skip.
func SummarizeMentions(ms []Mention, total int) *Summary {
	var sm summarizer
	for _, m := range ms {
		if c, ok := parse(m.Text); ok {
			c.Line = m.Line
			sm.add(c)
		}
	}
	return sm.finish(total-sm.s.Cycles, false)
}

// summarizer folds cycles, in input order, into a Summary.
type summarizer struct {
	s      Summary
	pauses []time.Duration
	prev   Cycle
}

func (sm *summarizer) add(c Cycle) {
	s := &sm.s
	if s.Cycles == 0 {
		s.First = c.At
	}
	s.Cycles++
	if c.Forced {
		s.Forced++
	}
	s.Span = max(s.Span, c.At-s.First)
	for _, p := range []time.Duration{c.SweepTerm, c.MarkTerm} {
		s.PauseCount++
		s.PauseTotal += p
		s.PauseMax = max(s.PauseMax, p)
		if len(sm.pauses) < maxKept*2 {
			sm.pauses = append(sm.pauses, p)
		}
	}
	s.AssistCPU += c.CPUAssist
	s.BackgroundCPU += c.CPUBackground + c.CPUIdle
	s.MarkTermCPU += c.CPUMarkTerm + c.CPUSweepTerm
	s.TotalCPU += c.CPU()
	s.CPUPercent = c.CPUPercent
	s.MaxProcs = max(s.MaxProcs, c.Procs)
	s.GoalMax = max(s.GoalMax, c.HeapGoal)
	s.LiveMax = max(s.LiveMax, c.HeapLive)
	if !c.Forced && c.HeapGoal > 0 && c.HeapStart < 0.9*c.HeapGoal {
		s.BelowGoal++
	}
	if s.Cycles > 1 {
		s.MarkInSpan += sm.prev.Clock()
		s.BusyCPUInSpan += sm.prev.BusyCPU()
	}
	sm.prev = c
	if len(s.CyclesList) < maxKept {
		s.CyclesList = append(s.CyclesList, c)
	}
}

func (sm *summarizer) finish(skipped int, truncated bool) *Summary {
	s := sm.s
	s.Skipped, s.Truncated = skipped, truncated
	s.P99 = percentile(sm.pauses, 0.99)
	return &s
}

// percentile returns the q-quantile of ds (nearest rank).
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	i := int(q*float64(len(ds))+0.999999) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}
