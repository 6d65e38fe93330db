package evidence

import (
	"errors"
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

// ParseGCTrace totals gctrace lines; other lines are ignored.
func ParseGCTrace(r io.Reader) (GC, error) {
	var g GC
	var first, last time.Duration
	rd := gctrace.NewReader(r, "gctrace")
	for {
		c, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return g, err
		}
		if g.Cycles == 0 {
			first = c.At
		}
		last = c.At
		g.Cycles++
		g.CPUPercent = int(c.CPUPercent)
		g.Pause += c.Pause()
		g.MaxPause = max(g.MaxPause, c.SweepTerm, c.MarkTerm)
	}
	g.Span = last - first
	return g, nil
}
