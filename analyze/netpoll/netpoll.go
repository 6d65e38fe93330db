// Package netpoll diagnoses scheduler spinning: the scheduler waking
// goroutines that do nothing, and CPU burned looking for work —
// runtime.findRunnable, work stealing, network polling, timer processing,
// osyield/usleep back-off, epoll_wait and futex in the kernel — with
// little useful work behind it, typically driven by code that creates
// timers, tickers or deadlines at a high rate, or that polls with
// runtime.Gosched. The culprit is the user frame that creates the timers,
// whose goroutines fast tickers keep waking, or that yields.
package netpoll

import (
	"fmt"
	"strings"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/census"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/internal/stacks"
	"github.com/coroner/coroner/analyze/traces"
	"github.com/coroner/coroner/bundle/goroutines"
)

// Analyzer is the netpoll_spin analyzer.
var Analyzer = &analyze.Analyzer{
	Name: "netpoll_spin",
	Doc: "scheduler and netpoll waking goroutines for nothing\n\n" +
		"Trace wake-ups by timers, deadlines and netpoll after short blocks, whose goroutine runs under 5 µs " +
		"before parking again. CPU in the search for work (findRunnable, stealWork, netpoll, timers, " +
		"osyield/usleep, epoll_wait/futex kernel frames) costing more than the work it finds, or timer-heap CPU.\n\n" +
		"Culprit: the user frames creating timers, tickers or deadlines at a high rate, waiting on fast tickers " +
		"(from a core), or polling with runtime.Gosched. Too few samples or too short a trace are insufficient data.",
	Version:  "4",
	Requires: []*analyze.Analyzer{cpu.Analyzer, traces.Analyzer},
	// A core's census names the goroutines timers keep waking when neither
	// CPU samples nor a trace show who creates the timers; without it the
	// profiles and traces still speak.
	After: []*analyze.Analyzer{census.Analyzer},
	Run:   run,
}

// shortSleep: ticker periods and sleeps shorter than 1 ms are below what
// timeouts and periodic work use; they are polling loops (the same bound
// as traces.ShortBlock).
const shortSleep = traces.ShortBlock

func run(pass *analyze.Pass) (any, error) {
	prof := cpu.ProfileOf(pass)
	var gs *goroutines.Census
	if gr := census.Of(pass); gr != nil {
		gs = gr.Census
	}
	// Judged once per function: a dump may hold thousands of goroutines
	// yielding under one, and each judgement reads every sample.
	assisting := map[string]bool{}
	ySite, yN := censusYielders(gs, func(fn string) bool {
		if gs.Format == "core" {
			return false
		}
		a, seen := assisting[fn]
		if !seen {
			a = mayAssist(prof, fn)
			assisting[fn] = a
		}
		return a
	})
	var ev []analyze.Evidence
	var missing []analyze.Basis
	var families []string
	judged := 0
	c := judgeCPU(prof, yieldMatcher(yN > 0))
	hasCPU := prof != nil && len(prof.Sources) > 0
	if hasCPU {
		families = append(families, "CPU profile")
		ev = append(ev, c.ev...)
		missing = append(missing, c.missing...)
		if len(c.missing) == 0 {
			judged++
		}
	}
	sev, impact, culprit, culpritStack, yielder, yielding := c.sev, c.impact, c.culprit, c.stacks, c.yielder, c.yielding
	for _, t := range traces.Of(pass).Traces {
		if t.Summary.Duration <= 0 || t.Wakes == nil {
			continue
		}
		families = append(families, "execution trace")
		j := judgeTrace(t)
		ev = append(ev, j.ev...)
		missing = append(missing, j.missing...)
		if len(j.missing) > 0 {
			continue
		}
		judged++
		if impact == 0 {
			impact = j.impact
		}
		// A CPU profile that could be judged decides the severity; the
		// trace's wake-ups alone make at most what they show.
		if len(c.missing) > 0 || !hasCPU {
			sev = max(sev, j.sev)
		}
		if culprit == nil && j.culprit != nil && (j.sev >= analyze.Warning || sev >= analyze.Warning) {
			culprit = j.culprit
		}
	}
	if len(families) == 0 {
		return nil, nil
	}
	if judged == 0 {
		pass.Report(analyze.Insufficient(pass.Analyzer.Name, missing...))
		return nil, nil
	}
	timerSite := false
	if culprit == nil && sev >= analyze.Warning && yielding > 0 && ySite != nil {
		families = append(families, "goroutine census")
		ev = append(ev, analyze.Evidence{Metric: "goroutines_in_gosched", Value: float64(yN), Unit: "goroutines", Artifact: gs.Source,
			Note: fmt.Sprintf("goroutines inside runtime.Gosched, most in %s; %.0f%% of CPU is in explicit yields", ySite.Function, 100*yielding)})
		culprit, yielder = ySite, true
		pass.Used(gs.Source)
	}
	if culprit == nil && sev >= analyze.Warning {
		if w := censusTimers(gs); w != nil && w.site != nil {
			families = append(families, "goroutine census")
			ev = append(ev, w.evidence())
			culprit, timerSite = w.site, true
			pass.Used(w.source)
		}
	}
	f := analyze.Finding{ID: "netpoll_spin/scheduler-spin", Severity: sev, Impact: analyze.Round(impact), Evidence: ev, Culprit: culprit, Stacks: culpritStack,
		Summary: "Signals from " + strings.Join(families, ", ") + "."}
	if sev == analyze.Info {
		f.Title = "Scheduler overhead within normal bounds"
		f.Confidence = 0.9
		f.Culprit, f.Stacks = nil, nil
	} else {
		f.Cause = analyze.CauseNetpollSpin
		f.Title = "Scheduler spinning on timers and netpoll with little work to run"
		switch {
		case yielder:
			f.Title = "Scheduler spinning on goroutines polling with runtime.Gosched in " + culprit.Function
			f.Remedy = "Replace the runtime.Gosched polling loop with a blocking wait: a channel the producer closes or sends on, a sync.Cond, or a sync.WaitGroup."
		case timerSite:
			f.Title += "; goroutines woken by timers in " + culprit.Function
		case culprit != nil:
			f.Title += "; timers created by " + culprit.Function
		}
		f.Confidence = min(0.95, 0.6+0.15*float64(judged-1))
		if sev == analyze.Critical {
			f.Confidence = min(0.95, f.Confidence+0.1)
		}
		if !yielder {
			f.Remedy = "Stop creating a timer per operation: replace time.Sleep/time.After in tight loops with one time.Ticker or a blocking channel receive, " +
				"reuse timers with Reset, set connection deadlines once per request rather than per read/write, and batch small wakeups."
		}
	}
	pass.Report(f)
	return nil, nil
}

// yieldMatcher matches explicit yields: runtime.Gosched, a goroutine
// giving up its P although it could run, which sends the P straight back
// through the scheduler; in a loop waiting for a condition it is a spin
// through schedule and findRunnable. Most of a yield's CPU is on the
// scheduler's stack (gosched_m, goschedImpl), where no caller shows and
// the runtime's own yields (the background sweeper's) look the same; it
// counts only when confirmed, by goroutines seen inside runtime.Gosched.
func yieldMatcher(confirmed bool) func(stacks.Frame) bool {
	return func(f stacks.Frame) bool {
		switch f.Func {
		case "runtime.Gosched":
			return true
		case "runtime.gosched_m", "runtime.goschedImpl":
			return confirmed
		}
		return false
	}
}

// isSpinSample matches samples spent looking for work: the scheduler,
// and runtime locks taken on its behalf. GC samples are the gc_stw
// analyzer's.
func isSpinSample(s cpu.Sample) bool {
	switch s.Category {
	case stacks.CatScheduler:
		return true
	case stacks.CatRuntimeLock, stacks.CatSyscall:
		_, ok := stacks.Any(s.Stack, func(f stacks.Frame) bool {
			return stacks.IsScheduler(f) || stacks.IsNetpoll(f) || stacks.IsSpinYield(f) || stacks.IsTimer(f)
		})
		return ok
	}
	return false
}

func hotNames(hs []cpu.Hot) []string {
	var out []string
	for _, h := range hs {
		out = append(out, fmt.Sprintf("%s %s:%d (%s)", h.Func, h.File, h.Line, time.Duration(h.Value).Round(time.Millisecond)))
	}
	return out
}
