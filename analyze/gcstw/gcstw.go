// Package gcstw diagnoses garbage collection that stops the world too long
// or too often, or takes too much CPU: stop-the-world pauses from the
// execution trace and gctrace lines, the GC's CPU share from gctrace and CPU
// samples in mark workers, assists and mark termination, GOGC/GOMEMLIMIT
// pressure, and — as the culprit — the allocation sites driving it.
package gcstw

import (
	"fmt"
	"strings"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/internal/traces"
)

// Analyzer is the gc_stw analyzer.
var Analyzer = &analyze.Analyzer{
	Name:     "gc_stw",
	Doc:      "stop-the-world pauses (count, total, max, p99, share of wall time) and GC CPU share from the execution trace, gctrace lines and CPU samples in GC workers, assists and mark termination; GOGC/GOMEMLIMIT pressure; culprit: the allocation sites driving the collector",
	Version:  "1",
	Requires: []*analyze.Analyzer{cpu.Analyzer, traces.Analyzer},
	Run:      run,
}

// Thresholds. Each finding's evidence carries the one it was compared with.
const (
	// gcCPUWarn: the pacer aims for background marking to use 25 % of
	// GOMAXPROCS while a cycle runs (gcBackgroundUtilization in
	// runtime/mgcpacer.go); GC taking a quarter of all CPU over the whole
	// recording means it runs nearly back to back or assists heavily.
	gcCPUWarn = 0.25
	// gcCPUCritical: the GC CPU limiter caps GC at 50 % of CPU
	// (gcCPULimiterUpdatePeriod / limiter in runtime/mgclimit.go); reaching
	// it means the program is out of memory headroom and the runtime is
	// trading throughput for staying under GOMEMLIMIT.
	gcCPUCritical = 0.50
	// stwShareWarn and stwShareCritical: stop-the-world share of wall time.
	// A healthy Go program pauses well under 1 ms per cycle (Go 1.8+ made
	// stack rescanning concurrent; the design target since Go 1.5 is 10 ms
	// per 50 ms, i.e. 20 %, as an upper bound). 1 % of wall time stopped is
	// already noticeable tail latency; 5 % is an outage-grade stall.
	stwShareWarn     = 0.01
	stwShareCritical = 0.05
	// pauseMaxWarn: a single pause above 10 ms breaks the Go 1.5 GC design
	// target ("10 ms STW pauses") that every later release stays far below.
	pauseMaxWarn = 10 * time.Millisecond
	// markShareWarn: share of wall time the collector spends in its
	// concurrent mark phase. The pacer starts each cycle so that marking
	// ends as the heap reaches its goal, and marking a healthy heap takes
	// milliseconds per cycle; marking through three quarters of the
	// recording means cycles run back to back and allocation outruns
	// them (the write barrier and assists then tax every goroutine).
	// Marking stretches when the process is starved of CPU too, which is
	// why the bar sits well above half.
	markShareWarn = 0.75
	// minLongPauses: pauses over pauseMaxWarn needed before "too long" is
	// claimed. A stop-the-world includes the time to bring every goroutine
	// to a safe point, so one outlier on an overloaded host (a thread
	// descheduled by the kernel mid-stop) is noise; a recurring one is not.
	minLongPauses = 3
	// minPausesForRate: pauses needed before shares and rates are judged;
	// two cycles in a one-second recording say nothing about frequency.
	minPausesForRate = 10
	// assistShareWarn: mark assists charged to user goroutines above 5 % of
	// CPU samples mean allocation outruns background marking (the pacer
	// drafts allocators only when its 25 % background budget falls short).
	assistShareWarn = 0.05
	// cyclesPerSecondWarn: more than 10 collections a second (a cycle every
	// 100 ms or less) means GOGC or GOMEMLIMIT leaves almost no headroom
	// over the live heap; the default GOGC=100 on a steady service gives
	// cycles seconds apart.
	cyclesPerSecondWarn = 10.0
)

// Result is the gc_stw analyzer's result: the pause timeline.
type Result struct {
	Pauses []analyze.Pause
}

// maxPausesShown bounds the timeline the report draws.
const maxPausesShown = 5000

// ContributeTo fills the report's GC timeline.
func (r *Result) ContributeTo(res *analyze.Result) {
	if len(r.Pauses) > 0 {
		res.Pauses = r.Pauses
	}
}

func run(pass *analyze.Pass) (any, error) {
	prof, _ := pass.ResultOf(cpu.Analyzer).(*cpu.Profile)
	var sig signals
	res := &Result{}
	sig.fromTraces(pass, traces.Of(pass), res)
	if err := sig.fromGCTrace(pass, res); err != nil {
		return nil, err
	}
	sig.fromCPU(prof)
	sig.fromEnviron(pass)
	if len(res.Pauses) > maxPausesShown {
		res.Pauses = res.Pauses[:maxPausesShown]
	}
	if !sig.any() {
		return res, nil
	}
	f := sig.finding()
	if f.Cause == analyze.CauseGCSTW {
		if c, stack := allocationCulprit(pass, prof, traces.Of(pass)); c != nil {
			f.Culprit = c
			f.Stacks = append(f.Stacks, stack...)
			f.Title += " driven by allocations in " + c.Function
		}
	}
	pass.Report(f)
	return res, nil
}

// finding turns the crossed thresholds into one finding.
func (s *signals) finding() analyze.Finding {
	sev := analyze.Info
	for _, e := range s.crossed {
		sev = max(sev, e)
	}
	f := analyze.Finding{
		ID:       "gc_stw/gc-pressure",
		Severity: sev,
		Impact:   min(1, s.impact),
		Evidence: s.ev,
	}
	families := len(s.families)
	switch {
	case sev == analyze.Info:
		f.Title = "Garbage collection within normal bounds"
		f.Confidence = 0.9
	case !s.gcBusy:
		// Long or frequent stops while the collector itself is not busy:
		// the pauses are the time the runtime waits for every goroutine
		// to reach a safe point (or for descheduled threads), not GC work.
		f.Severity = analyze.Warning
		f.Title = "Long stop-the-world pauses while the collector is not busy: the world is slow to stop"
		f.Confidence = min(0.9, 0.5+0.15*float64(families))
		f.Remedy = "Look for goroutines that delay preemption (long loops in assembly or cgo calls, GODEBUG=asyncpreemptoff), " +
			"GOMAXPROCS above the CPUs the container may use (CPU quota throttling stretches every stop), and an overloaded host."
	default:
		f.Cause = analyze.CauseGCSTW
		// Two phrases say enough; the evidence lists every crossed threshold.
		f.Title = "Garbage collection " + strings.Join(s.headline[:min(2, len(s.headline))], " and ")
		// One family of evidence gives a fair case; each further
		// independent source (trace, gctrace, CPU samples) corroborates.
		f.Confidence = min(0.95, 0.55+0.15*float64(families-1))
		if sev == analyze.Critical {
			f.Confidence = min(0.97, f.Confidence+0.1)
		}
		f.Remedy = "Allocate less on the hot path (reuse buffers, avoid per-request []byte/string conversions, preallocate slices and maps); " +
			"raise GOGC or set a GOMEMLIMIT with real headroom above the live heap; check heap growth with an allocs profile (-sample_index=alloc_space)."
	}
	f.Summary = fmt.Sprintf("Signals from %s.", strings.Join(s.familyList(), ", "))
	return f
}
