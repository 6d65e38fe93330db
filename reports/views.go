package reports

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coroner/coroner/analyze"
)

// frameShare is one function's share of the flame graph.
type frameShare struct {
	Name  string
	Self  int64 // value in frames where it is the leaf
	Total int64 // value of stacks it appears in (counted once per stack)
}

// maxFlameWalk bounds the nodes topFrames visits, so a hostile result with
// a huge tree cannot stall rendering: ten million nodes is far beyond any
// real merged profile (pprof's own graph view caps at 80 nodes).
const maxFlameWalk = 10_000_000

// topFrames returns the n functions with the most self value in the flame
// tree, ties broken by name, and the root's total.
func topFrames(root *analyze.FlameNode, n int) ([]frameShare, int64) {
	if root == nil {
		return nil, 0
	}
	self := map[string]*frameShare{}
	visited := 0
	var walk func(nd *analyze.FlameNode, onStack map[string]int)
	walk = func(nd *analyze.FlameNode, onStack map[string]int) {
		if visited++; visited > maxFlameWalk || nd == nil {
			return
		}
		fs := self[nd.Name]
		if fs == nil {
			fs = &frameShare{Name: nd.Name}
			self[nd.Name] = fs
		}
		if onStack[nd.Name] == 0 {
			fs.Total += nd.Value
		}
		var childSum int64
		onStack[nd.Name]++
		for _, c := range nd.Children {
			if c != nil {
				childSum += c.Value
				walk(c, onStack)
			}
		}
		onStack[nd.Name]--
		if s := nd.Value - childSum; s > 0 {
			fs.Self += s
		}
	}
	onStack := map[string]int{}
	for _, c := range root.Children {
		walk(c, onStack)
	}
	out := make([]frameShare, 0, len(self))
	for _, fs := range self {
		if fs.Self > 0 {
			out = append(out, *fs)
		}
	}
	slices.SortFunc(out, func(a, b frameShare) int {
		if c := cmp.Compare(b.Self, a.Self); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	if len(out) > n {
		out = out[:n]
	}
	return out, root.Value
}

// pauseStat summarizes the pauses of one kind.
type pauseStat struct {
	Kind        string
	Count       int
	Total, Max  time.Duration
	P50, P99    time.Duration
	Sources     []string
	First, Last time.Duration
}

// pauseStats groups pauses by kind, sorted by total pause time, largest
// first, then by kind; the last entry, kind "all", covers every pause.
func pauseStats(ps []analyze.Pause) []pauseStat {
	if len(ps) == 0 {
		return nil
	}
	byKind := map[string][]analyze.Pause{}
	for _, p := range ps {
		byKind[p.Kind] = append(byKind[p.Kind], p)
	}
	var out []pauseStat
	for k, list := range byKind {
		out = append(out, summarizePauses(k, list))
	}
	slices.SortFunc(out, func(a, b pauseStat) int {
		if c := cmp.Compare(b.Total, a.Total); c != 0 {
			return c
		}
		return cmp.Compare(a.Kind, b.Kind)
	})
	if len(out) > 1 {
		out = append(out, summarizePauses("all", ps))
	}
	return out
}

func summarizePauses(kind string, ps []analyze.Pause) pauseStat {
	st := pauseStat{Kind: kind, Count: len(ps)}
	durs := make([]time.Duration, len(ps))
	src := map[string]bool{}
	for i, p := range ps {
		durs[i] = p.Duration
		st.Total += p.Duration
		if i == 0 || p.At < st.First {
			st.First = p.At
		}
		if p.At > st.Last {
			st.Last = p.At
		}
		src[p.Source] = true
	}
	slices.Sort(durs)
	st.Max = durs[len(durs)-1]
	st.P50 = percentile(durs, 0.50)
	st.P99 = percentile(durs, 0.99)
	for s := range src {
		st.Sources = append(st.Sources, s)
	}
	slices.Sort(st.Sources)
	return st
}

// percentile returns the nearest-rank percentile q of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

// primaryIndex returns the index of the verdict's primary finding, or -1.
func primaryIndex(r *analyze.Result) int {
	if r.Verdict.FindingID == "" {
		return -1
	}
	for i, f := range r.Findings {
		if f.ID == r.Verdict.FindingID {
			return i
		}
	}
	return -1
}

// knownUnits are units the renderers format themselves; any other unit is
// shown as untrusted text.
var knownUnits = map[string]bool{
	"": true, "ns": true, "%": true, "ratio": true, "fraction": true, "bytes": true, "samples": true,
	"goroutines": true, "count": true, "minutes": true, "seconds": true, "s": true,
	"ms": true, "cycles": true, "events": true, "Hz": true, "bytes/s": true, "1/s": true,
	"cores": true, "stacks": true, "frames": true, "threads": true,
}

// formatValue renders a figure with its unit: durations for "ns", "ms",
// "s" and "seconds", percentages for "%" and for the 0..1 shares "ratio"
// and "fraction", rates for "1/s", sizes for "bytes".
// ok is false when the unit is not a known one; the caller then shows the
// unit as untrusted text.
func formatValue(v float64, unit string) (s string, ok bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64), knownUnits[unit]
	}
	switch unit {
	case "ns":
		return formatDuration(time.Duration(v)), true
	case "ms":
		return formatDuration(time.Duration(v * float64(time.Millisecond))), true
	case "s", "seconds":
		return formatDuration(time.Duration(v * float64(time.Second))), true
	case "%":
		return formatNumber(v) + "%", true
	case "ratio", "fraction":
		return formatNumber(v*100) + "%", true
	case "1/s":
		return formatNumber(v) + "/s", true
	case "bytes":
		return formatBytes(v), true
	case "bytes/s":
		return formatBytes(v) + "/s", true
	case "":
		return formatNumber(v), true
	}
	return formatNumber(v), knownUnits[unit]
}

// formatValueUnit is formatValue with a known unit appended as a word.
func formatValueUnit(v float64, unit string) (string, bool) {
	s, ok := formatValue(v, unit)
	switch unit {
	case "", "count", "ns", "ms", "s", "seconds", "%", "ratio", "fraction", "1/s", "bytes", "bytes/s":
		return s, ok
	}
	if ok {
		return s + " " + unit, true
	}
	return s, false
}

// formatNumber prints v with up to three significant decimals, no exponent
// for everyday magnitudes.
func formatNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	a := math.Abs(v)
	switch {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case a >= 0.001:
		return strconv.FormatFloat(v, 'f', 4, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// formatDuration rounds d to three significant figures.
func formatDuration(d time.Duration) string {
	a := d
	if a < 0 {
		a = -a
	}
	switch {
	case a >= time.Second:
		return d.Round(time.Millisecond).String()
	case a >= time.Millisecond:
		return d.Round(time.Microsecond).String()
	case a >= time.Microsecond:
		return d.Round(time.Nanosecond * 10).String()
	}
	return d.String()
}

// formatBytes prints a size in binary units.
func formatBytes(v float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for math.Abs(v) >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return formatNumber(v) + " B"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i]
}

// formatPercent renders a 0..1 fraction as a whole percentage.
func formatPercent(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "?"
	}
	return fmt.Sprintf("%.0f%%", f*100)
}

// share returns part/total as a percentage string with one decimal.
func share(part, total int64) string {
	if total <= 0 {
		return "?"
	}
	return strconv.FormatFloat(float64(part)*100/float64(total), 'f', 1, 64) + "%"
}

// chainShown is how many links of the verdict's evidence chain the reports
// show before folding the rest away: the first links carry the argument,
// the later ones are supporting figures.
const chainShown = 6

// flameAmount formats a flame-graph value in its unit: a duration for
// "ns", a sample count for "samples", a bare number when unknown.
func flameAmount(v int64, unit string) string {
	switch unit {
	case "ns":
		return formatDuration(time.Duration(v))
	case "samples":
		return strconv.FormatInt(v, 10) + " samples"
	}
	return strconv.FormatInt(v, 10)
}

// telling returns the frame that tells what a goroutine group is doing:
// the first frame outside the runtime's scheduler and parking machinery
// (package runtime and the internal packages it parks through), or the
// innermost frame when every frame is the runtime's.
func telling(frames []string) string {
	for _, f := range frames {
		if !strings.HasPrefix(f, "runtime.") && !strings.HasPrefix(f, "internal/") {
			return f
		}
	}
	if len(frames) > 0 {
		return frames[0]
	}
	return ""
}
