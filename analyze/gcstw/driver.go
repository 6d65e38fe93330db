package gcstw

import (
	"fmt"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/census"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/internal/samples"
	"github.com/coroner/coroner/analyze/internal/stacks"
	"github.com/coroner/coroner/analyze/traces"
	"github.com/coroner/coroner/bundle/goroutines"
)

// Driver names what starts the collector's cycles.
type Driver string

// The drivers gc_stw tells apart.
const (
	// DriverAllocation: allocation carrying the heap to the trigger GOGC
	// sets (gcTriggerHeap in runtime/mgc.go).
	DriverAllocation Driver = "allocation"
	// DriverForced: explicit runtime.GC or debug.FreeOSMemory calls
	// (gcTriggerCycle; gctrace's "(forced)").
	DriverForced Driver = "forced"
	// DriverMemoryLimit: the memory limit's heap goal, below GOGC's or with
	// GOGC=off (memoryLimitHeapGoal in runtime/mgcpacer.go).
	DriverMemoryLimit Driver = "memory_limit"
)

// drive is what the artifacts say about the driver.
type drive struct {
	driver Driver
	// why lists, per source, what showed the driver.
	why []string
	// forcer is the forcing caller, when a stack names it.
	forcer       *analyze.Culprit
	forcerStacks []analyze.Stack
}

// findDriver reads the trace's GC starts, the environment's settings and
// the forcing callers in CPU samples and the goroutine census, and decides
// what drives the cycles from everything gathered.
func (s *signals) findDriver(pass *analyze.Pass, prof *cpu.Profile, tr *traces.Result) drive {
	s.fromGCStarts(tr)
	s.fromLimitSetting()
	var censuses []*goroutines.Census
	if r, ok := pass.ResultOf(census.Analyzer).(*census.Result); ok && r != nil {
		censuses = r.Censuses()
	}
	censusT, censusSrc := censusForcers(censuses)
	cpuT := cpuForcers(prof)
	var cpuSrc string
	if prof != nil {
		cpuSrc = prof.Artifact()
		s.fromForcingCPU(prof, cpuT, cpuSrc)
	}
	d := drive{driver: DriverAllocation}
	switch {
	case len(s.forcedBy) > 0:
		d.driver, d.why = DriverForced, s.forcedBy
		d.forcer, d.forcerStacks = forcerCulprit(startsOf(tr), cpuT, censusT, cpuSrc, censusSrc)
		if censusT.total > 0 {
			pass.Used(censusSrc)
		}
	case len(s.limitBy) > 0:
		d.driver, d.why = DriverMemoryLimit, s.limitBy
	}
	return d
}

// fromForcingCPU judges the CPU spent inside runtime.GC and
// debug.FreeOSMemory: the calling goroutine itself waits out the cycle,
// sweeps every span before returning (runtime.GC in mgc.go) and, for
// FreeOSMemory, returns every free page to the OS (scavengeAll).
func (s *signals) fromForcingCPU(prof *cpu.Profile, t callerTally, src string) {
	n := samples.CPU(prof)
	if t.total == 0 || n < minCPUSamples {
		return
	}
	share := float64(t.total) / float64(prof.Total)
	ev := analyze.Evidence{Metric: "cpu_share_in_forced_gc", Value: analyze.Round(share), Unit: "fraction", Artifact: src,
		Note: fmt.Sprintf("samples inside runtime.GC or debug.FreeOSMemory, of %d CPU samples", n)}
	switch {
	case !prof.Material(share):
		ev.Note += "; too little CPU to matter"
		s.ev = append(s.ev, ev)
	case s.check(ev, forcedCPUWarn, 0, "is forced by explicit calls"):
		s.forcedBy = append(s.forcedBy, fmt.Sprintf("%s: %.0f%% of CPU samples inside explicit collections", src, 100*share))
	}
	// Each cycle begins in gcStart on the goroutine that asked for it,
	// which stops the world, empties the pools and starts the workers
	// there: the samples in gcStart split between callers as the cycles
	// do.
	forced, all := startSamples(prof)
	if all < minStartSamples {
		s.fromForcingPresence(prof, src)
	}
	if all == 0 {
		return
	}
	of := fmt.Sprintf("%d of %d CPU samples in gcStart are under runtime.GC or debug.FreeOSMemory", forced, all)
	if all < minStartSamples {
		s.ev = append(s.ev, analyze.Evidence{Metric: "cpu_gc_starts_forced_share", Value: analyze.Round(float64(forced) / float64(all)), Unit: "fraction",
			Artifact: src, Note: "insufficient data: " + of})
		return
	}
	start := float64(forced) / float64(all)
	s.ev = append(s.ev, analyze.Evidence{Metric: "cpu_gc_starts_forced_share", Value: analyze.Round(start), Unit: "fraction", Artifact: src,
		Threshold: analyze.Threshold(forcedShareWarn), Note: of})
	if start >= forcedShareWarn {
		s.forcedBy = append(s.forcedBy, src+": "+of)
		s.check(analyze.Evidence{Metric: "cpu_share_gc_when_forced", Value: analyze.Round(prof.CategoryShare(stacks.CatGC)), Unit: "fraction", Artifact: src,
			Note: "the collector's share of CPU samples, with its cycles forced by explicit calls"}, forcedGCCPUWarn, 0, "takes too much CPU")
	}
}

// startSamples counts the CPU samples starting a cycle in gcStart, and
// those of them under a forcing call. gcStart first sweeps what the last
// cycle left (sweepone) and takes the start semaphores; an allocation
// whose trigger check raced with another start spends its time there and
// starts nothing, so only the samples past that count.
func startSamples(p *cpu.Profile) (forced, all int64) {
	inStart := func(smp cpu.Sample) bool {
		i, ok := stacks.Any(smp.Stack, func(f stacks.Frame) bool { return f.Func == "runtime.gcStart" })
		if !ok {
			return false
		}
		_, pre := stacks.Any(smp.Stack[:i], func(f stacks.Frame) bool {
			return f.Func == "runtime.sweepone" || strings.HasPrefix(f.Func, "runtime.semacquire")
		})
		return !pre
	}
	all = samples.Where(p, inStart)
	forced = samples.Where(p, func(smp cpu.Sample) bool { return inStart(smp) && has(smp.Stack, isForcing) })
	return forced, all
}

// fromGCStarts judges what began the cycles the trace saw start.
func (s *signals) fromGCStarts(tr *traces.Result) {
	for _, t := range tr.Traces {
		ts := startsOf(&traces.Result{Traces: []traces.Trace{t}})
		if ts.total == 0 {
			continue
		}
		of := fmt.Sprintf("%d of %d cycle starts in the trace (%d by allocation, %d periodic)", ts.forced, ts.total, ts.alloc, ts.periodic)
		share := float64(ts.forced) / float64(ts.total)
		// Which call starts the cycles is a share of the cycles seen,
		// judged from minShareCycles like the other shares.
		if ts.total < minShareCycles || t.Summary.Duration < minSpan {
			s.ev = append(s.ev, analyze.Evidence{Metric: "trace_gc_starts_forced_share", Value: analyze.Round(share), Unit: "fraction", Artifact: t.Path,
				Note: "insufficient data: " + of})
			continue
		}
		s.ev = append(s.ev, analyze.Evidence{Metric: "trace_gc_starts_forced_share", Value: analyze.Round(share), Unit: "fraction", Artifact: t.Path,
			Threshold: analyze.Threshold(forcedShareWarn), Note: of})
		rate := float64(ts.forced) / t.Summary.Duration.Seconds()
		if s.check(analyze.Evidence{Metric: "trace_forced_gc_starts_per_second", Value: analyze.Round(rate), Unit: "1/s", Artifact: t.Path, Note: of},
			forcedRateWarn, 0, "is forced by explicit calls") && share >= forcedShareWarn {
			s.forcedBy = append(s.forcedBy, t.Path+": "+of)
		}
	}
}

// fromLimitSetting reads the memory limit from the environment: with
// GOGC=off the limit is the only trigger left besides explicit calls; with
// GOGC set, the limit binds once the live heap comes near it.
func (s *signals) fromLimitSetting() {
	switch {
	case s.memLimitMiB <= 0:
	case s.gogcOff:
		s.limitBy = append(s.limitBy, fmt.Sprintf("environment: GOGC=off with GOMEMLIMIT=%.0f MiB", s.memLimitMiB))
	case s.liveMaxMB >= limitNearShare*s.memLimitMiB:
		s.limitBy = append(s.limitBy, fmt.Sprintf("environment: live heap up to %.0f MB under GOMEMLIMIT=%.0f MiB", s.liveMaxMB, s.memLimitMiB))
	}
}

// fromForcingPresence names explicit calls as the driver when too few
// samples catch a cycle starting to compare callers (a 100 Hz CPU profile
// rarely lands in gcStart), but the collector is busy and the calls
// themselves show: the runtime never calls runtime.GC or
// debug.FreeOSMemory on its own, so samples inside them mean the program
// keeps asking for collections while the collector costs too much.
func (s *signals) fromForcingPresence(prof *cpu.Profile, src string) {
	if !s.gcBusy {
		return
	}
	n := samples.Where(prof, func(smp cpu.Sample) bool { return has(smp.Stack, isForcing) })
	ev := analyze.Evidence{Metric: "cpu_samples_in_forced_gc", Value: float64(n), Unit: "count", Artifact: src,
		Threshold: analyze.Threshold(minForcingSamples), Note: "CPU samples inside runtime.GC or debug.FreeOSMemory while the collector is busy"}
	s.ev = append(s.ev, ev)
	if n >= minForcingSamples {
		s.forcedBy = append(s.forcedBy, fmt.Sprintf("%s: %d CPU samples inside explicit collections while the collector is busy", src, n))
	}
}
