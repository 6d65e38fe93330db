package netpoll

import (
	"fmt"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/traces"
)

// Thresholds on the trace's wake-ups (traces.Wakes): goroutines the
// scheduler woke itself — a timer due, a deadline expired, netpoll found
// a descriptor ready — after blocking under traces.ShortBlock, and what
// they ran before stopping again.
const (
	// emptyWakeupsPerSecondWarn: wake-ups that ran under traces.EmptyRun
	// (a timer or deadline re-armed and the goroutine parked again).
	// Each costs the scheduler a pass through the timer heap or netpoll,
	// findRunnable and usually a futex wake, some 5–10 µs, so 2,000 a
	// second keep a P 1–2 % busy for nothing. Healthy range measured (2 s
	// traces, GOMAXPROCS 4): busy net/http 7–13/s (of 2,000–6,300 short
	// wake-ups a second, which the old rule on all short wake-ups called a
	// spin), 256 line-protocol connections 0–1/s, CPU-bound batch 3/s,
	// idle 0, a GC-heavy allocator 59/s; goroutines looping on a 1 µs
	// timer 180,000–405,000/s, on 20 µs read deadlines 96,000–106,000/s.
	emptyWakeupsPerSecondWarn = 2000.0
	// emptyWakeupsPerSecondCritical: ten times that, a tenth of a core or
	// more spent waking goroutines that do nothing.
	emptyWakeupsPerSecondCritical = 20000.0
	// emptyShareMin: empty wake-ups must also be most of the wake-ups.
	// A server's connection goroutines run the request they were woken
	// for (busy net/http measured 0.2–0.4 %, a GC-heavy allocator 33 %),
	// a polling loop runs nothing (96–99 %); half is far from both.
	emptyShareMin = 0.5
	// minTraceDuration: a trace shorter than this is not judged. Rates
	// over a few hundred milliseconds follow whatever happened then (a
	// GC cycle, a burst of connections, start-up); half a second holds
	// fifty sysmon ticks and several GC cycles of a busy service.
	minTraceDuration = 500 * time.Millisecond
	// minWakeups: the fewest measured wake-ups a share is taken of; at
	// 100 a 50 % share reads within ±10 points nineteen times in twenty.
	minWakeups = 100
	// wakeupCost is the scheduler work one wake-up costs (timer heap,
	// findRunnable, futex wake), used to estimate the impact of wake-ups
	// seen only in a trace.
	wakeupCost = 5 * time.Microsecond
)

// traceJudgment is what one trace says.
type traceJudgment struct {
	ev      []analyze.Evidence
	sev     analyze.Severity
	impact  float64
	culprit *analyze.Culprit
	missing []analyze.Basis
}

// judgeTrace applies the wake-up rules to one trace.
func judgeTrace(t traces.Trace) traceJudgment {
	var j traceJudgment
	s, w := t.Summary, t.Wakes
	dur := analyze.Basis{Metric: "trace_duration", Count: analyze.Round(s.Duration.Seconds()), Min: minTraceDuration.Seconds(), Unit: "s", Artifact: t.Path,
		Why: "rates are taken over the whole trace; shorter ones follow one burst"}
	measured := analyze.Basis{Metric: "short_wakeups_measured", Unit: "wake-ups", Min: minWakeups, Artifact: t.Path,
		Why: "wake-ups after short blocks whose next run ended within the trace; 100 give a 50 % share to ±10 points"}
	if w != nil {
		measured.Count = float64(w.Measured)
	}
	j.ev = append(j.ev, dur.Evidence(), measured.Evidence())
	if !dur.Enough() {
		j.missing = append(j.missing, dur)
		return j
	}
	secs := s.Duration.Seconds()
	short := float64(w.Short) / secs
	empty := float64(w.Empty) / secs
	share := float64(w.Empty) / max(1, float64(w.Measured))
	mean := time.Duration(0)
	if w.Measured > 0 {
		mean = w.Ran / time.Duration(w.Measured)
	}
	j.ev = append(j.ev,
		analyze.Evidence{Metric: "short_scheduler_wakeups_per_second", Value: analyze.Round(short), Unit: "1/s", Artifact: t.Path,
			Note: "goroutines woken by the scheduler itself (timers, deadlines, netpoll) after blocking under 1 ms"},
		analyze.Evidence{Metric: "empty_wakeups_per_second", Value: analyze.Round(empty), Unit: "1/s", Artifact: t.Path, Threshold: analyze.Threshold(emptyWakeupsPerSecondWarn),
			Note: fmt.Sprintf("of those, woken goroutines that ran under %v before stopping again", traces.EmptyRun)},
		analyze.Evidence{Metric: "empty_wakeup_share", Value: analyze.Round(share), Unit: "fraction", Artifact: t.Path, Threshold: analyze.Threshold(emptyShareMin),
			Note: fmt.Sprintf("mean run after a short wake-up %v; runs by bucket %s", mean.Round(100*time.Nanosecond), runBuckets(w))})
	procs := max(1, s.GOMAXPROCS)
	j.impact = min(1, short*wakeupCost.Seconds()/float64(procs))
	if !measured.Enough() {
		// Too few wake-ups for a share, and so too few to spin on.
		return j
	}
	if empty >= emptyWakeupsPerSecondWarn && share >= emptyShareMin {
		j.sev = analyze.Warning
		if empty >= emptyWakeupsPerSecondCritical {
			j.sev = analyze.Critical
			j.ev[len(j.ev)-2].Threshold = analyze.Threshold(emptyWakeupsPerSecondCritical)
		}
		if site := w.TopEmpty(); site != nil {
			j.culprit = &analyze.Culprit{Function: site.Frame.Func, File: site.Frame.File, Line: site.Frame.Line}
		}
	}
	return j
}

// runBuckets renders the run-length histogram: "<2µs:n <5µs:n … ≥100µs:n".
func runBuckets(w *traces.Wakes) string {
	out := ""
	bounds := traces.RunBounds()
	for i, n := range w.Runs {
		if i > 0 {
			out += " "
		}
		if i < len(bounds) {
			out += fmt.Sprintf("<%v:%d", bounds[i], n)
		} else {
			out += fmt.Sprintf("≥%v:%d", bounds[len(bounds)-1], n)
		}
	}
	return out
}
