package gcstw

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/census"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/internal/logs"
	"github.com/coroner/coroner/analyze/internal/samples"
	"github.com/coroner/coroner/analyze/internal/stacks"
	"github.com/coroner/coroner/analyze/traces"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/gctrace"
)

// signals accumulates evidence and the severities it crossed.
type signals struct {
	ev       []analyze.Evidence
	crossed  []analyze.Severity
	headline []string
	families map[string]bool
	// gcBusy is set when a measure of the collector's own activity (CPU
	// share, cycle rate, assists) crossed its threshold.
	gcBusy bool
	// impact is the largest share of capacity the GC is seen to cost: CPU
	// share or stopped share of wall time.
	impact float64
	// judged counts the sources whose rates and shares held enough cycles
	// or samples to be judged; missing holds, per source that did not, the
	// bases that fell short.
	judged  int
	missing []analyze.Basis
	// forcedBy lists the sources showing most cycles forced (runtime.GC,
	// debug.FreeOSMemory); limitBy those showing the memory limit setting
	// the heap goal.
	forcedBy, limitBy []string
	// gogcOff and memLimitMiB come from the process environment when the
	// archive holds it; liveMaxMB is gctrace's largest live heap.
	gogcOff     bool
	memLimitMiB float64
	liveMaxMB   float64
}

func (s *signals) any() bool { return len(s.ev) > 0 }

// enough reports whether a source's cycles and window suffice to judge
// it (at least need cycles over minSpan), and records it either way.
func (s *signals) enough(src string, cycles, need int, window time.Duration) bool {
	bases := []analyze.Basis{
		{Metric: "gc_cycles", Count: float64(cycles), Min: float64(need), Unit: "cycles", Artifact: src,
			Why: fmt.Sprintf("shares of wall time need %d cycles, two whole intervals between collections", need)},
		{Metric: "gc_window", Count: window.Round(time.Millisecond).Seconds(), Min: minSpan.Seconds(), Unit: "s", Artifact: src,
			Why: "a program's first cycles come in a burst while its heap grows to the 4 MB minimum (heapMinimum in runtime/mgcpacer.go)"},
	}
	ok := true
	for _, b := range bases {
		if !b.Enough() {
			s.missing = append(s.missing, b)
			s.ev = append(s.ev, b.Evidence())
			ok = false
		}
	}
	if ok {
		s.judged++
	}
	return ok
}

func (s *signals) family(name string) {
	if s.families == nil {
		s.families = map[string]bool{}
	}
	s.families[name] = true
}

func (s *signals) familyList() []string {
	var out []string
	for f := range s.families {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// check records a metric and, when it crosses warn (or crit, if > 0),
// the severity and a headline phrase. It reports whether warn was crossed.
func (s *signals) check(e analyze.Evidence, warn, crit float64, phrase string) bool {
	sev, th := analyze.Grade(e.Value, warn, crit)
	e.Threshold = analyze.Threshold(th)
	s.ev = append(s.ev, e)
	if impactMetrics[e.Metric] {
		s.impact = max(s.impact, e.Value)
	}
	if sev > analyze.Info {
		if !isPauseMetric(e.Metric) {
			s.gcBusy = true
		}
		s.crossed = append(s.crossed, sev)
		if phrase != "" && !contains(s.headline, phrase) {
			s.headline = append(s.headline, phrase)
		}
		return true
	}
	return false
}

// impactMetrics are the measures of capacity the GC takes: CPU share and
// stopped share of wall time.
var impactMetrics = map[string]bool{
	"cpu_share_gc": true, "gctrace_gc_cpu_share": true, "stw_share_of_wall": true, "gctrace_stw_share_of_wall": true,
}

// isPauseMetric tells pause measures (length and stopped share) from
// measures of the collector's activity.
func isPauseMetric(m string) bool {
	return strings.Contains(m, "stw_") || strings.Contains(m, "pause")
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// fromTraces reads stop-the-world ranges and GC phases from traces.
func (s *signals) fromTraces(pass *analyze.Pass, tr *traces.Result, res *Result) {
	for _, t := range tr.Traces {
		sum := t.Summary
		if sum.Duration <= 0 {
			continue
		}
		s.family("execution trace")
		var ds []time.Duration
		var maxD time.Duration
		for _, p := range sum.STW {
			ds = append(ds, p.Duration)
			maxD = max(maxD, p.Duration)
			res.Pauses = append(res.Pauses, analyze.Pause{At: p.At, Duration: p.Duration, Kind: p.Reason, Source: t.Path})
		}
		share := recurringShare(sum.STWTotal, maxD, sum.Duration)
		s.ev = append(s.ev, analyze.Evidence{Metric: "stw_pauses", Value: float64(sum.STWCount), Unit: "count", Artifact: t.Path},
			analyze.Evidence{Metric: "stw_total", Value: ms(sum.STWTotal), Unit: "ms", Artifact: t.Path},
			analyze.Evidence{Metric: "stw_p99", Value: ms(p99(ds)), Unit: "ms", Artifact: t.Path})
		s.ev = append(s.ev, analyze.Evidence{Metric: "stw_max", Value: ms(maxD), Unit: "ms", Artifact: t.Path})
		s.check(analyze.Evidence{Metric: "stw_pauses_over_10ms", Value: float64(countOver(ds, pauseMaxWarn)), Unit: "count", Artifact: t.Path},
			minLongPauses, 0, "stops the world too long")
		window := fmt.Sprintf("%d GC cycles, %d pauses over %s of trace", sum.GCCycles, sum.STWCount, sum.Duration.Round(time.Millisecond))
		if s.enough(t.Path, sum.GCCycles, minShareCycles, sum.Duration) {
			s.check(analyze.Evidence{Metric: "stw_share_of_wall", Value: analyze.Round(share), Unit: "fraction", Artifact: t.Path,
				Note: window + recurringNote}, stwShareWarn, stwShareCritical, "stops the world too often")
			s.check(analyze.Evidence{Metric: "gc_mark_phase_share_of_wall", Value: analyze.Round(min(1, float64(sum.GCMarkTime)/float64(sum.Duration))), Unit: "fraction",
				Artifact: t.Path, Note: window}, markShareWarn, 0, "runs back to back")
			if sum.GCCycles >= minCycles {
				rate := float64(sum.GCCycles) / sum.Duration.Seconds()
				s.check(analyze.Evidence{Metric: "gc_cycles_per_second", Value: analyze.Round(rate), Unit: "1/s", Artifact: t.Path, Note: window},
					cyclesPerSecondWarn, 0, "runs back to back")
			}
		}
		if procs := sum.GOMAXPROCS; procs > 0 {
			assist := float64(sum.AssistTime) / (float64(sum.Duration) * float64(procs))
			// Assist ranges stay open while an assisting goroutine parks
			// waiting for credit, so this overstates CPU: context only.
			s.ev = append(s.ev, analyze.Evidence{Metric: "trace_assist_time_per_p", Value: analyze.Round(assist), Unit: "ratio", Artifact: t.Path,
				Note: fmt.Sprintf("mark assist time (including parked assists) over GOMAXPROCS=%d × trace duration", procs)})
		}
		pass.Used(t.Path)
	}
}

// fromGCTrace reads gctrace logs and the gctrace lines in service logs.
func (s *signals) fromGCTrace(pass *analyze.Pass, res *Result) error {
	fromTrace := len(res.Pauses) > 0
	for _, a := range logs.GCTraceSources(pass) {
		sum, err := gctraceOf(pass, a)
		if err != nil {
			pass.Warn(err.Error())
			continue
		}
		if sum.Cycles == 0 {
			continue
		}
		pass.Used(a.Path)
		s.fromGCTraceSummary(a.Path, sum, fromTrace, res)
	}
	return nil
}

// gctraceOf summarizes the gctrace lines of artifact a: from what the
// census's read of a service log kept, when that read can tell, else by
// reading it.
func gctraceOf(pass *analyze.Pass, a bundle.Artifact) (*gctrace.Summary, error) {
	if r := census.Of(pass); r != nil {
		if sum, ok := r.GCTrace(a.Path); ok {
			return sum, nil
		}
	}
	rc, err := logs.Open(pass, a)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return gctrace.Summarize(rc, a.Path)
}

// fromCPU reads CPU samples in the collector.
func (s *signals) fromCPU(p *cpu.Profile) {
	if p == nil || p.Total == 0 {
		return
	}
	s.family("CPU profile")
	src := p.Artifact()
	b := samples.BasisOf(p, minCPUSamples)
	of := fmt.Sprintf("of %d CPU samples", int64(b.Count))
	if !b.Enough() {
		s.missing = append(s.missing, b)
		s.ev = append(s.ev, b.Evidence())
		return
	}
	s.judged++
	if gc := p.CategoryShare(stacks.CatGC); !p.Material(gc) {
		s.ev = append(s.ev, analyze.Evidence{Metric: "gc_cores", Value: analyze.Round(gc * p.Cores()), Unit: "cores", Artifact: src,
			Threshold: analyze.Threshold(cpu.MinMaterialCores), Note: "the collector's CPU is too small to matter: shares not judged, " + of})
		return
	}
	s.check(analyze.Evidence{Metric: "cpu_share_gc", Value: analyze.Round(p.CategoryShare(stacks.CatGC)), Unit: "fraction", Artifact: src,
		Note: "samples in mark workers, assists, sweeping and stop-the-world phases, " + of}, gcCPUWarn, gcCPUCritical, "takes too much CPU")
	_, assist := p.Share(stacks.IsGCAssist)
	s.check(analyze.Evidence{Metric: "cpu_share_gc_assist", Value: analyze.Round(assist), Unit: "fraction", Artifact: src, Note: of},
		assistShareWarn, 0, "drafts allocating goroutines into marking")
	_, bg := p.Share(stacks.IsGCBackground)
	_, mt := p.Share(stacks.IsMarkTermination)
	_, alloc := p.Share(stacks.IsMalloc)
	s.ev = append(s.ev, analyze.Evidence{Metric: "cpu_share_gc_background", Value: analyze.Round(bg), Unit: "fraction", Artifact: src, Note: of},
		analyze.Evidence{Metric: "cpu_share_mark_termination", Value: analyze.Round(mt), Unit: "fraction", Artifact: src, Note: of},
		analyze.Evidence{Metric: "cpu_share_mallocgc", Value: analyze.Round(alloc), Unit: "fraction", Artifact: src, Note: of})
}

// maxEnvironBytes bounds how much of an environment dump is read.
const maxEnvironBytes = 1 << 20

// fromEnviron reports GOGC, GOMEMLIMIT and GODEBUG when the archive holds
// the process environment.
func (s *signals) fromEnviron(pass *analyze.Pass) {
	for _, a := range pass.Artifacts(bundle.KindEnviron) {
		rc, err := pass.Open(a)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(io.LimitReader(rc, maxEnvironBytes))
		sc.Buffer(make([]byte, 0, 4096), 64<<10)
		sc.Split(splitEnv)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), "=")
			if !ok || (k != "GOGC" && k != "GOMEMLIMIT") {
				continue
			}
			pass.Used(a.Path)
			val := envValue(k, v)
			if k == "GOGC" {
				s.gogcOff = val < 0
			} else if val > 0 {
				s.memLimitMiB = val
			}
			s.ev = append(s.ev, analyze.Evidence{Metric: strings.ToLower(k), Value: val, Artifact: a.Path, Note: k + "=" + clip(v)})
		}
		rc.Close()
	}
}

// envValue gives GOGC as a percentage and GOMEMLIMIT in MiB where they
// parse; -1 for "off".
func envValue(k, v string) float64 {
	if v == "off" {
		return -1
	}
	var n float64
	var unit string
	fmt.Sscanf(v, "%g%s", &n, &unit)
	if k == "GOMEMLIMIT" {
		switch unit {
		case "KiB":
			n /= 1024
		case "GiB":
			n *= 1024
		case "TiB":
			n *= 1024 * 1024
		case "MiB":
		default:
			n /= 1 << 20
		}
	}
	return n
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// splitEnv splits on NUL (/proc/PID/environ) or newline.
func splitEnv(data []byte, atEOF bool) (int, []byte, error) {
	for i, b := range data {
		if b == 0 || b == '\n' {
			return i + 1, data[:i], nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

func countOver(ds []time.Duration, limit time.Duration) int {
	n := 0
	for _, d := range ds {
		if d >= limit {
			n++
		}
	}
	return n
}

func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	c := append([]time.Duration(nil), ds...)
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	i := int(0.99*float64(len(c))+0.999999) - 1
	return c[min(max(i, 0), len(c)-1)]
}

// recurringNote says how a stop-the-world share is measured.
const recurringNote = "; the longest pause left out, which the long-pause count judges"

// recurringShare is the share of span the world was stopped, without the
// longest pause: a cost the collector imposes recurs every cycle, while a
// single stop can be stretched once by the host (stopping the world waits
// for every running thread to reach a safe point, and a thread the kernel
// descheduled — a host-wide perf starting up, a VM's stolen time, a
// SIGSTOP — holds it up). That lone pause still counts as a long one
// (pauseMaxWarn) and shows as the maximum.
func recurringShare(total, longest, span time.Duration) float64 {
	if span <= 0 {
		return 0
	}
	return float64(max(0, total-longest)) / float64(span)
}
