// Package gcstw diagnoses garbage collection that stops the world too long
// or too often, or takes too much CPU: stop-the-world pauses from the
// execution trace and gctrace lines, the GC's CPU share from gctrace and CPU
// samples in mark workers, assists and mark termination, and what drives
// the cycles — allocation under GOGC, explicit runtime.GC or
// debug.FreeOSMemory calls, or a memory limit holding the heap at its goal.
// The culprit follows the driver: the forcing caller, what holds the heap
// at the limit, or the allocation sites.
package gcstw

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/census"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/internal/pprofs"
	"github.com/coroner/coroner/analyze/traces"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/gctrace"
)

// Analyzer is the gc_stw analyzer.
var Analyzer = &analyze.Analyzer{
	Name: "gc_stw",
	Doc: "garbage collection pauses, cost and driver\n\n" +
		"Stop-the-world pauses (count, total, max, p99, share of wall time), mark-phase share, cycle rate and GC CPU share " +
		"from the execution trace, gctrace lines and CPU samples in GC workers, assists and mark termination.\n\n" +
		"What drives the cycles: allocation under GOGC, explicit runtime.GC/debug.FreeOSMemory calls (gctrace's (forced), " +
		"the trace's GC starts, their callers in CPU samples and the goroutine census), or a memory limit holding the heap " +
		"at its goal (gctrace's goal against the live heap, GOGC/GOMEMLIMIT). Culprit: the forcing caller, what holds the " +
		"heap, or the allocation sites. Rates and shares need enough cycles or samples; below that it says so.",
	Version:  "2",
	Requires: []*analyze.Analyzer{cpu.Analyzer, traces.Analyzer, pprofs.Analyzer},
	// The goroutine census names callers caught inside runtime.GC when it
	// succeeded; without it the other sources still speak.
	After: []*analyze.Analyzer{census.Analyzer},
	Inputs: []analyze.Input{analyze.Streamed(bundle.KindGCTrace), analyze.Streamed(bundle.KindLog),
		analyze.Streamed(bundle.KindEnviron)},
	ResultType: reflect.TypeFor[*Result](),
	Run:        run,
}

// Result is the gc_stw analyzer's result: the pause timeline and what
// drives the cycles.
type Result struct {
	Pauses []analyze.Pause
	// Cycles are the collections gctrace logs tell of, with their heap
	// sizes, in log order: what the GC pause timeline export lists.
	Cycles []Cycle
	// Driver is what starts the cycles; Forcer the caller of runtime.GC
	// or debug.FreeOSMemory when Driver is DriverForced and a stack names
	// it; ForcedWhy says which sources showed the cycles forced.
	Driver    Driver
	Forcer    *analyze.Culprit
	ForcedWhy []string
}

// maxPausesShown bounds the timeline the report draws.
const maxPausesShown = 5000

// maxCyclesKept bounds the gctrace cycles the result keeps, so a log of
// days keeps memory bounded: 100,000 cycles is over an hour of a service
// collecting 25 times a second (cyclesPerSecondWarn's busy HTTP example),
// about 10 MB.
const maxCyclesKept = 100_000

// Cycle is one collection as a gctrace line tells it, and the log it came
// from.
type Cycle struct {
	Source string
	gctrace.Cycle
}

// ContributeTo fills the report's GC timeline.
func (r *Result) ContributeTo(res *analyze.Result) {
	if len(r.Pauses) > 0 {
		res.Pauses = r.Pauses
	}
}

func run(pass *analyze.Pass) (any, error) {
	prof := cpu.ProfileOf(pass)
	var sig signals
	res := &Result{}
	sig.fromTraces(pass, traces.Of(pass), res)
	if err := sig.fromGCTrace(pass, res); err != nil {
		return nil, err
	}
	sig.fromCPU(prof)
	sig.fromEnviron(pass)
	d := sig.findDriver(pass, prof, traces.Of(pass))
	if len(res.Pauses) > maxPausesShown {
		res.Pauses = res.Pauses[:maxPausesShown]
	}
	if !sig.any() {
		return res, nil
	}
	res.Driver = d.driver
	if d.driver == DriverForced {
		res.Forcer, res.ForcedWhy = d.forcer, d.why
	}
	f := sig.finding()
	if f.Cause == analyze.CauseGCSTW {
		name(pass, &f, d, prof)
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
	case sev == analyze.Info && s.judged == 0 && len(s.missing) > 0:
		return analyze.Insufficient("gc_stw", s.missing...)
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
	if len(s.missing) > 0 {
		f.Summary += " Not judged for want of data: " + analyze.JoinBases(s.missing) + "."
	}
	return f
}

// Of returns the gc_stw result of a pass that requires or runs after the
// gc_stw analyzer (nil if it failed or did not run).
func Of(pass *analyze.Pass) *Result {
	r, _ := pass.ResultOf(Analyzer).(*Result)
	return r
}
