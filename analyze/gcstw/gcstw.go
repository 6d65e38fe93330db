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
	"time"

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
	// trading throughput for staying under GOMEMLIMIT. Measured healthy
	// (both): gctrace's window share 0.001–0.002 for batch, idle and TCP
	// connections, 0.04–0.11 for busy HTTP (its cumulative N% 0–6 %); CPU
	// samples in the collector 0.13 for busy HTTP.
	gcCPUCritical = 0.50
	// stwShareWarn and stwShareCritical: stop-the-world share of wall time.
	// A healthy Go program pauses well under 1 ms per cycle (Go 1.8+ made
	// stack rescanning concurrent; the design target since Go 1.5 is 10 ms
	// per 50 ms, i.e. 20 %, as an upper bound). 1 % of wall time stopped is
	// already noticeable tail latency; 5 % is an outage-grade stall.
	// Measured healthy: 0.001–0.003 for batch, idle and TCP connections;
	// busy HTTP 0.06–0.14 on a host with load 9–14 on 2 cores, where
	// stopping the world waits for descheduled threads — reported as a
	// world slow to stop, without a cause, since the collector is not busy.
	stwShareWarn     = 0.01
	stwShareCritical = 0.05
	// pauseMaxWarn: a single pause above 10 ms breaks the Go 1.5 GC design
	// target ("10 ms STW pauses") that every later release stays far below.
	pauseMaxWarn = 10 * time.Millisecond
	// markShareWarn: share of wall time the collector spends between
	// sweep termination and the end of mark termination (the trace's mark
	// phases, gctrace's A+B+C ms clock). The pacer places the trigger at
	// least 70 % of the way from the live heap to the goal
	// (minTriggerRatioNum/triggerRatioDen = 45/64 in runtime/mgcpacer.go),
	// so marking is meant to cover at most the last 30 % of the
	// allocation between cycles; a CPU-starved process stretches it
	// further, as its mark workers wait for a thread. Marking more than
	// half the time means cycles run back to back. Measured healthy over
	// 1.5–2 s (gctrace; the trace's mark phases read lower): CPU-bound
	// batch 0.005, idle 0.006, 256 TCP connections 0.02, busy HTTP 0.13 on
	// a quiet host and 0.34–0.38 with load 9–10 on its 2 cores.
	markShareWarn = 0.50
	// minLongPauses: pauses over pauseMaxWarn needed before "too long" is
	// claimed. A stop-the-world includes the time to bring every goroutine
	// to a safe point, so one outlier on an overloaded host (a thread
	// descheduled by the kernel mid-stop) is noise; a recurring one is not.
	minLongPauses = 3
	// minCycles, minShareCycles and minSpan: rates (cycles or forced
	// cycles per second) are judged over at least 10 cycles (a count of 10
	// estimates its rate to about ±30 %, the Poisson error 1/√10); shares
	// of wall time (stopped, marking, GC CPU) over at least 3 cycles, two
	// whole intervals, as a heap marked back to back for seconds gives
	// few; both over at least a second (a program's first cycles come in
	// a burst while its heap grows to the 4 MB minimum, heapMinimum in
	// runtime/mgcpacer.go). Below that the finding says "insufficient
	// data", never a cause.
	minCycles      = 10
	minShareCycles = 3
	minSpan        = time.Second
	// minCPUSamples: CPU shares are judged over at least 100 samples (one
	// CPU-second at pprof's 100 Hz): a 25 % share from 100 samples is known
	// to about ±4 % (binomial standard error), enough to tell it from the
	// thresholds it is compared with.
	minCPUSamples = 100
	// forcedRateWarn: explicit collections per second. The runtime forces
	// a cycle on its own only when none ran for two minutes
	// (forcegcperiod, runtime/proc.go), which gctrace does not even mark
	// forced; runtime.GC is meant for tests and benchmarks. A program
	// forcing more than one cycle a second overrides the pacer. Measured
	// healthy: no forced cycle in any capture (busy HTTP, TCP connections,
	// batch, idle).
	forcedRateWarn = 1.0
	// forcedShareWarn: forced cycles are what drives the collector when
	// they are the majority of cycles.
	forcedShareWarn = 0.5
	// forcedCPUWarn: CPU samples inside runtime.GC or debug.FreeOSMemory,
	// where the caller's goroutine waits out the cycle it forced, sweeps
	// every span and (FreeOSMemory) scavenges every free page. The runtime
	// does none of this unless asked; 5 % of CPU there, as for mark
	// assists (assistShareWarn), is the collector taxing the program on
	// the caller's behalf. Measured healthy: 0 in every capture.
	forcedCPUWarn = 0.05
	// forcedGCCPUWarn: the collector's CPU share when its cycles are
	// forced. Forced cycles are ones the pacer would not have run, so
	// collector CPU above what healthy services spend under the pacer is
	// the forcing's cost. Measured healthy: CPU samples in the collector
	// 0.13 for busy HTTP, the highest of the healthy shapes (gcCPUWarn).
	forcedGCCPUWarn = 0.15
	// minForcingSamples: CPU samples inside runtime.GC or
	// debug.FreeOSMemory that show a program forcing collections
	// repeatedly: each call ends by sweeping the heap on the caller's
	// goroutine, so 5 samples (50 ms at runtime/pprof's 100 Hz) is many
	// calls, where one at start-up or an hourly one leaves a sample or
	// none. Measured healthy: 0 in every capture.
	minForcingSamples = 5
	// minStartSamples: the split of gcStart's CPU samples between forcing
	// and allocating callers is judged over at least 10 of them.
	minStartSamples = 10
	// limitNearShare: a GOMEMLIMIT the live heap reaches 80 % of is setting
	// the goal: the limit's goal is the limit less the runtime's other
	// memory and a 3 % margin (memoryLimitHeapGoal, runtime/mgcpacer.go),
	// below GOGC=100's twice the live heap.
	limitNearShare = 0.8
	// assistShareWarn: mark assists charged to user goroutines above 5 % of
	// CPU samples mean allocation outruns background marking (the pacer
	// drafts allocators only when its 25 % background budget falls short).
	// Measured healthy: 0.006 for busy HTTP, 0 elsewhere.
	assistShareWarn = 0.05
	// cyclesPerSecondWarn: 50 collections a second (one every 20 ms). A
	// small heap collects often at no cost: below 4 MB live, GOGC=100
	// collects every 4 MB allocated (heapMinimum, runtime/mgcpacer.go), so
	// a busy service allocating 100 MB/s runs 25 cycles a second. At 50,
	// each cycle's fixed costs (two stops of the world, scanning every
	// stack, emptying every sync.Pool, sweeping) recur every 20 ms.
	// Measured healthy: idle 0.6/s, batch 0.7/s, 256 TCP connections
	// 1.1/s, busy HTTP 10.3/s (heap at its 4–8 MB floor).
	cyclesPerSecondWarn = 50.0
)

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
