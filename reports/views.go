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
	"github.com/coroner/coroner/internal/units"
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

// formatValueUnit renders a figure in its unit with a known unit appended
// as a noun; ok is false when the unit is not a known one, and the caller
// then shows the unit as untrusted text.
func formatValueUnit(v float64, unit string) (string, bool) { return units.Format(v, unit) }

// formatDuration rounds d to three significant figures.
func formatDuration(d time.Duration) string { return units.Duration(d) }

// formatBytes prints a size in binary units.
func formatBytes(v float64) string { return units.Bytes(v) }

// formatPercent renders a 0..1 fraction as a whole percentage.
func formatPercent(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "?"
	}
	return fmt.Sprintf("%.0f%%", f*100)
}

// share returns part/total as a percentage string with one decimal.
func share(part, total int64) string { return units.Share(part, total) }

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

// evidenceCells renders an evidence row's value and threshold cells for a
// format: a fact's text in place of a figure (and no threshold), else the
// value and threshold in their unit.
func evidenceCells(e analyze.Evidence, value func(float64, string) string, text func(string) string) (val, thr string) {
	if e.Text != "" {
		return text(e.Text), ""
	}
	if e.Threshold != nil {
		thr = value(*e.Threshold, e.Unit)
	}
	return value(e.Value, e.Unit), thr
}
