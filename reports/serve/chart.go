package serve

import (
	"fmt"

	"github.com/coroner/coroner/internal/index"
)

// chartDays is how many days the per-day chart covers: a month, the
// window an incident review looks back over; 30 bars of 4 px fit a cell.
const chartDays = 30

// Chart geometry in SVG user units.
const (
	barWidth    = 4
	barGap      = 1
	chartHeight = 24
)

// chart is a per-day count chart, drawn as inline SVG by the "chart"
// template.
type chart struct {
	Width, Height int
	Label         string
	Bars          []bar
}

// bar is one day's bar; Title is its tooltip ("2026-05-01: 3").
type bar struct {
	X, Y, H int
	Zero    bool
	Title   string
}

// chartOf lays out days as bars scaled to the busiest day; a day with no
// incident keeps a 1-unit grey bar so the time axis stays visible.
func chartOf(days []index.DayCount) chart {
	c := chart{Width: len(days) * (barWidth + barGap), Height: chartHeight}
	peak, total := 0, 0
	for _, d := range days {
		peak = max(peak, d.Count)
		total += d.Count
	}
	for i, d := range days {
		h := 1
		if peak > 0 && d.Count > 0 {
			h = max(2, d.Count*chartHeight/peak)
		}
		c.Bars = append(c.Bars, bar{X: i * (barWidth + barGap), Y: chartHeight - h, H: h, Zero: d.Count == 0,
			Title: fmt.Sprintf("%s: %d", d.Day.Format("2006-01-02"), d.Count)})
	}
	if len(days) > 0 {
		c.Label = fmt.Sprintf("%d incidents from %s to %s", total, days[0].Day.Format("2006-01-02"), days[len(days)-1].Day.Format("2006-01-02"))
	}
	return c
}

// chartTemplate draws a chart; rects take their colour from the page's
// style sheet, so the SVG needs no style attribute.
const chartTemplate = `{{define "chart"}}<svg class="days" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-label="{{.Label}}">{{range .Bars}}<rect x="{{.X}}" y="{{.Y}}" width="4" height="{{.H}}"{{if .Zero}} class="zero"{{end}}><title>{{.Title}}</title></rect>{{end}}</svg>{{end}}`
