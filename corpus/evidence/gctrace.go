package evidence

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"
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

// gcLine captures "gc N @T.s P%: a+b+c ms clock".
var gcLine = regexp.MustCompile(`^gc (\d+) @([0-9.]+)s (\d+)%: ([0-9.]+)\+([0-9.]+)\+([0-9.]+) ms clock`)

// maxGCLine bounds one gctrace line; real ones are about 200 bytes.
const maxGCLine = 64 << 10

// ParseGCTrace totals gctrace lines; other lines are ignored.
func ParseGCTrace(r io.Reader) (GC, error) {
	var g GC
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxGCLine)
	var first, last float64
	for n := 1; sc.Scan(); n++ {
		m := gcLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		at, err1 := strconv.ParseFloat(m[2], 64)
		pct, err2 := strconv.Atoi(m[3])
		stw1, err3 := strconv.ParseFloat(m[4], 64)
		stw2, err4 := strconv.ParseFloat(m[6], 64)
		for _, err := range []error{err1, err2, err3, err4} {
			if err != nil {
				return g, fmt.Errorf("gctrace line %d: %w", n, err)
			}
		}
		if g.Cycles == 0 {
			first = at
		}
		last = at
		g.Cycles++
		g.CPUPercent = pct
		for _, ms := range []float64{stw1, stw2} {
			d := time.Duration(ms * float64(time.Millisecond))
			g.Pause += d
			g.MaxPause = max(g.MaxPause, d)
		}
	}
	if err := sc.Err(); err != nil {
		return g, fmt.Errorf("gctrace: %w", err)
	}
	g.Span = time.Duration((last - first) * float64(time.Second))
	return g, nil
}
