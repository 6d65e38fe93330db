package reports

import (
	"fmt"
	"html"
	"slices"
	"strings"
	"time"

	"github.com/coroner/coroner/analyze"
)

// GC timeline geometry.
const (
	timelineWidth  = 1200
	timelineHeight = 150
	timelineTop    = 18 // room for the max-pause label
	timelineBottom = 22 // room for the time axis
	// timelineMinBar keeps the shortest pauses visible: 2 px is the
	// thinnest bar that survives browser anti-aliasing.
	timelineMinBar = 2
	// timelineMaxMarks caps the drawn pauses: with more than one per pixel
	// column, each column shows its longest pause and how many it holds.
	timelineMaxMarks = timelineWidth
)

// pauseMark is one drawn bar: the longest pause of its pixel column.
type pauseMark struct {
	analyze.Pause
	N int // pauses merged into the bar
}

// timelineSVG draws pauses on a time axis, bar height proportional to
// pause length, one colour per pause kind.
func timelineSVG(b *strings.Builder, ps []analyze.Pause, colors map[string]string) {
	var span time.Duration
	var longest time.Duration
	for _, p := range ps {
		span = max(span, p.At+max(p.Duration, 0))
		longest = max(longest, p.Duration)
	}
	if span <= 0 {
		span = 1
	}
	if longest <= 0 {
		longest = 1
	}
	marks, merged := pauseMarks(ps, span)
	plotH := float64(timelineHeight - timelineTop - timelineBottom)
	fmt.Fprintf(b, `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="GC and stop-the-world pause timeline">`,
		timelineWidth, timelineHeight, timelineWidth, timelineHeight)
	b.WriteByte('\n')
	base := timelineHeight - timelineBottom
	fmt.Fprintf(b, `<line x1="0" y1="%d" x2="%d" y2="%d" stroke="#888"/>`+"\n", base, timelineWidth, base)
	fmt.Fprintf(b, `<text x="4" y="12">longest pause %s</text>`+"\n", html.EscapeString(formatDuration(longest)))
	for i := 0; i <= 4; i++ {
		x := float64(timelineWidth) * float64(i) / 4
		anchor := "middle"
		switch i {
		case 0:
			anchor = "start"
		case 4:
			anchor = "end"
		}
		at := time.Duration(float64(span) * float64(i) / 4)
		fmt.Fprintf(b, `<text x="%s" y="%d" text-anchor="%s">%s</text>`+"\n", fnum(x), timelineHeight-6, anchor, html.EscapeString(formatDuration(at)))
	}
	for _, m := range marks {
		x := float64(m.At) / float64(span) * timelineWidth
		h := max(float64(m.Duration)/float64(longest)*plotH, timelineMinBar)
		title := fmt.Sprintf("%s %s at %s (%s)", m.Kind, formatDuration(m.Duration), formatDuration(m.At), m.Source)
		if m.N > 1 {
			title = fmt.Sprintf("longest of %d pauses here: %s", m.N, title)
		}
		fmt.Fprintf(b, `<rect x="%s" y="%s" width="2" height="%s" fill="%s"><title>%s</title></rect>`+"\n",
			fnum(min(x, timelineWidth-2)), fnum(float64(base)-h), fnum(h), colors[m.Kind], html.EscapeString(cleanText(title)))
	}
	b.WriteString("</svg>\n")
	if merged {
		fmt.Fprintf(b, `<p class="note">%d pauses drawn as one bar per pixel column (the longest of each); hover a bar for details.</p>`+"\n", len(ps))
	}
}

// pauseMarks returns the bars to draw, in time order, merging pauses that
// share a pixel column when there are more than timelineMaxMarks.
func pauseMarks(ps []analyze.Pause, span time.Duration) ([]pauseMark, bool) {
	sorted := slices.Clone(ps)
	slices.SortStableFunc(sorted, func(a, b analyze.Pause) int {
		if a.At != b.At {
			if a.At < b.At {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Kind, b.Kind)
	})
	if len(sorted) <= timelineMaxMarks {
		out := make([]pauseMark, len(sorted))
		for i, p := range sorted {
			out[i] = pauseMark{Pause: p, N: 1}
		}
		return out, false
	}
	cols := make([]pauseMark, timelineWidth)
	for _, p := range sorted {
		c := int(float64(p.At) / float64(span) * timelineWidth)
		c = max(0, min(c, timelineWidth-1))
		if cols[c].N == 0 || p.Duration > cols[c].Duration {
			n := cols[c].N
			cols[c].Pause = p
			cols[c].N = n
		}
		cols[c].N++
	}
	var out []pauseMark
	for _, m := range cols {
		if m.N > 0 {
			out = append(out, m)
		}
	}
	return out, true
}

// pausePalette tells pause kinds apart; colours are assigned in the order
// of pauseStats (most total pause time first), cycling when there are more
// kinds than colours.
var pausePalette = []string{"#c0392b", "#e67e22", "#8e44ad", "#2471a3", "#148f77", "#7d6608", "#5d6d7e", "#d81b60"}

// pauseColors maps each pause kind to its colour.
func pauseColors(stats []pauseStat) map[string]string {
	m := map[string]string{}
	for _, s := range stats {
		if _, ok := m[s.Kind]; !ok && !(s.Kind == "all" && len(stats) > 1) {
			m[s.Kind] = pausePalette[len(m)%len(pausePalette)]
		}
	}
	return m
}
