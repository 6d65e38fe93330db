// Package cpu merges the archive's CPU profiles — pprof CPU profiles and
// perf.data recordings — into one profile, splits its time into user code,
// garbage collection, scheduler and netpoll, runtime locks, and system
// calls and the kernel, and ranks the hottest functions. Its result feeds
// the root-cause analyzers; it also fills the report's flame graph.
//
// A perf.data may hold a whole host (perf record -a): only the samples of
// the service's process count, and what the other processes used is one
// line of context (Neighbours).
package cpu

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/pprof/profile"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/internal/pprofs"
	"github.com/coroner/coroner/analyze/internal/stacks"
	"github.com/coroner/coroner/bundle"
)

// Analyzer is the cpu analyzer.
var Analyzer = &analyze.Analyzer{
	Name: "cpu",
	Doc: "merge CPU samples and split where the time goes\n\n" +
		"Merges pprof CPU profiles and perf.data into one profile: only the service's own process, other " +
		"processes of a system-wide recording summed as neighbours. Splits CPU time into user code, GC, " +
		"scheduler and netpoll, runtime locks, and system calls and the kernel.\n\n" +
		"Ranks hot functions by flat and cumulative time for the other analyzers and the flame graph.",
	Version:  "2",
	Requires: []*analyze.Analyzer{pprofs.Analyzer},
	Inputs: []analyze.Input{analyze.Seeked(bundle.KindPerfData), analyze.Seeked(bundle.KindGoBinary),
		analyze.Seeked(bundle.KindELF), analyze.Seeked(bundle.KindKallsyms)},
	ResultType: reflect.TypeFor[*Profile](),
	Run:        run,
}

// topN is how many hot functions the result keeps and a finding lists.
const topN = 15

// busyCores is the CPU use (in cores) above which the profile is called
// busy in the breakdown's title: one full core.
const busyCores = 1.0

func run(pass *analyze.Pass) (any, error) {
	p := &Profile{ByCategory: map[stacks.Category]int64{}}
	for _, l := range pprofs.Of(pass).OfType(pprofs.CPU) {
		if err := p.add(l.Artifact.Path, l.Profile); err != nil {
			pass.Warn(err.Error())
			continue
		}
		pass.Used(l.Artifact.Path)
	}
	for _, l := range loadPerf(pass) {
		if err := p.add(l.path, l.profile); err != nil {
			pass.Warn(err.Error())
			continue
		}
		if l.neighbours != nil {
			p.Neighbours = append(p.Neighbours, *l.neighbours)
		}
		pass.Used(l.path)
	}
	if len(p.Sources) == 0 {
		return p, nil
	}
	slices.Sort(p.Sources)
	sort.SliceStable(p.Samples, func(i, j int) bool { return p.Samples[i].Value > p.Samples[j].Value })
	p.hotFunctions(topN)
	p.flame = buildFlame(p)
	report(pass, p)
	return p, nil
}

// add merges one CPU profile. Values are converted to nanoseconds: pprof
// CPU profiles carry cpu/nanoseconds; perf profiles converted by perfdata
// carry either that or sample counts with the sampling period in
// nanoseconds (or a frequency, turned into a period).
func (p *Profile) add(path string, pr *profile.Profile) error {
	idx, scale := valueIndex(pr)
	if idx < 0 {
		return fmt.Errorf("%s: no CPU time or sample count in sample types %s", path, sampleTypes(pr))
	}
	before := p.Total
	for _, s := range pr.Sample {
		if idx >= len(s.Value) {
			continue
		}
		v := s.Value[idx] * scale
		if v <= 0 {
			continue
		}
		st := pprofs.Stack(s)
		cat := stacks.Classify(st)
		p.Samples = append(p.Samples, Sample{Stack: st, Value: v, Category: cat, Source: path})
		p.Total += v
		p.ByCategory[cat] += v
	}
	if d := time.Duration(pr.DurationNanos); d > 0 {
		p.rates = append(p.rates, float64(p.Total-before)/float64(d))
		p.Wall = max(p.Wall, d)
	}
	p.Sources = append(p.Sources, path)
	return nil
}

// fallbackPeriod is the sampling period assumed for sample counts that come
// without one: perf record's default frequency of 4000 Hz (250 µs).
const fallbackPeriod = int64(250 * time.Microsecond)

// valueIndex picks the sample value holding CPU time and the factor turning
// it into nanoseconds.
func valueIndex(pr *profile.Profile) (int, int64) {
	for i, st := range pr.SampleType {
		if st.Unit == "nanoseconds" && (st.Type == "cpu" || st.Type == "cpu-clock" || st.Type == "task-clock") {
			return i, 1
		}
	}
	for i, st := range pr.SampleType {
		if st.Type == "samples" || st.Unit == "count" || st.Unit == "samples" {
			period := fallbackPeriod
			if pr.PeriodType != nil && pr.PeriodType.Unit == "nanoseconds" && pr.Period > 0 {
				period = pr.Period
			}
			return i, period
		}
	}
	return -1, 0
}

func sampleTypes(pr *profile.Profile) string {
	var s []string
	for _, st := range pr.SampleType {
		s = append(s, st.Type+"/"+st.Unit)
	}
	return strings.Join(s, ",")
}

// report states the breakdown as an info finding.
func report(pass *analyze.Pass, p *Profile) {
	var ev []analyze.Evidence
	for _, c := range stacks.Categories {
		ev = append(ev, analyze.Evidence{Metric: "cpu_share_" + string(c), Value: analyze.Round(p.CategoryShare(c)),
			Unit: "fraction", Artifact: p.Artifact()})
	}
	ev = append(ev, analyze.Evidence{Metric: "cpu_time", Value: analyze.Round(p.CPUTime().Seconds()), Unit: "s",
		Artifact: p.Artifact()})
	if c := p.Cores(); c > 0 {
		ev = append(ev, analyze.Evidence{Metric: "cpu_cores_busy", Value: analyze.Round(c), Unit: "cores",
			Threshold: analyze.Threshold(busyCores), Note: "average over the recording"})
	}
	summary := "Where the recorded CPU time went, by runtime function family; hottest functions listed as stacks."
	for _, n := range p.Neighbours {
		summary += fmt.Sprintf(" %s holds several processes; only %s (PID %d, %s) is counted, %s.",
			n.Source, quoteComm(n.Comm), n.PID, n.Rule, n.Line())
		ev = append(ev, analyze.Evidence{Metric: "cpu_neighbour_share", Value: analyze.Round(n.Share), Unit: "fraction",
			Artifact: n.Source, Note: n.Line()})
	}
	f := analyze.Finding{
		ID:         "cpu/breakdown",
		Title:      breakdownTitle(p),
		Severity:   analyze.Info,
		Confidence: 1,
		Summary:    summary,
		Evidence:   ev,
	}
	if len(p.Flat) > 0 {
		h := p.Flat[0]
		if u := p.Culprits(func(stacks.Frame) bool { return true }, 1); len(u) > 0 {
			h = u[0]
		}
		f.Culprit = &analyze.Culprit{Function: h.Func, File: h.File, Line: h.Line}
	}
	for i, h := range p.Flat {
		if i >= 5 {
			break
		}
		f.Stacks = append(f.Stacks, analyze.Stack{Title: fmt.Sprintf("flat #%d: %.1f%%", i+1, 100*h.Share),
			Count: h.Value, Unit: "ns", Frames: heaviestStack(p, h.Func)})
	}
	pass.Report(f)
}

func breakdownTitle(p *Profile) string {
	type kv struct {
		c stacks.Category
		v int64
	}
	var parts []kv
	for _, c := range stacks.Categories {
		parts = append(parts, kv{c, p.ByCategory[c]})
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].v > parts[j].v })
	var s []string
	for _, x := range parts[:3] {
		s = append(s, fmt.Sprintf("%s %.0f%%", x.c, 100*float64(x.v)/float64(max(1, p.Total))))
	}
	busy := ""
	if c := p.Cores(); c >= busyCores {
		busy = fmt.Sprintf(", %.1f cores busy", c)
	}
	return fmt.Sprintf("CPU time %s%s: %s", p.CPUTime().Round(time.Millisecond), busy, strings.Join(s, ", "))
}

// heaviestStack returns the heaviest stack whose leaf is fn, as frame
// strings, innermost first.
func heaviestStack(p *Profile, fn string) []string {
	for _, s := range p.Samples { // sorted by value
		if len(s.Stack) > 0 && s.Stack[0].Func == fn {
			return FrameStrings(s.Stack, 24)
		}
	}
	return nil
}

// FrameStrings renders up to n frames as "func file:line".
func FrameStrings(st []stacks.Frame, n int) []string {
	var out []string
	for i, f := range st {
		if i >= n {
			out = append(out, fmt.Sprintf("… %d more", len(st)-n))
			break
		}
		if f.File != "" {
			out = append(out, fmt.Sprintf("%s %s:%d", f.Func, f.File, f.Line))
		} else {
			out = append(out, f.Func)
		}
	}
	return out
}

// ProfileOf returns the merged CPU profile of a pass that requires the cpu
// analyzer (nil if it failed or did not run).
func ProfileOf(pass *analyze.Pass) *Profile {
	p, _ := pass.ResultOf(Analyzer).(*Profile)
	return p
}
