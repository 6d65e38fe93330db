package evidence

import (
	"io"
	"time"

	"github.com/coroner/coroner/bundle/gctrace"
)

// GC totals what GODEBUG=gctrace=1 printed.
type GC struct {
	Cycles int
	// Span is the program time between the first and last cycle.
	Span time.Duration
	// CPUPercent is the runtime's own "percentage of time spent in GC
	// since program start", from the last line.
	CPUPercent int
	// Pause sums both stop-the-world phases of every cycle; MaxPause is
	// the longest single phase.
	Pause, MaxPause time.Duration
}

// PerSecond is the GC frequency over the span.
func (g GC) PerSecond() float64 {
	if g.Span <= 0 {
		return 0
	}
	return float64(g.Cycles-1) / g.Span.Seconds()
}

// ParseGCTrace totals gctrace lines; other lines are ignored. The totals
// are the reader package's own summary of the lines.
func ParseGCTrace(r io.Reader) (GC, error) {
	s, err := gctrace.Summarize(r, "gctrace")
	if err != nil {
		return GC{}, err
	}
	return GC{
		Cycles:     s.Cycles,
		Span:       s.Span,
		CPUPercent: int(s.CPUPercent),
		Pause:      s.PauseTotal,
		MaxPause:   s.PauseMax,
	}, nil
}
