package netpoll

import (
	"fmt"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/internal/samples"
	"github.com/coroner/coroner/analyze/internal/stacks"
)

// Thresholds on CPU samples. The scheduler's search for work is
// findRunnable: run what is queued, else check timers, steal from other
// Ps, poll the network, and finding nothing park the M on a futex (which
// costs no CPU while it sleeps). A process spins when Ms keep coming back
// from that search with goroutines that do almost nothing — timers and
// deadlines due every few microseconds, yields — so the search itself
// becomes the work; a busy server's Ms also pass through it once per
// request, but come back with a handler to run.
const (
	// spinShareWarn: a fifth of all CPU spent looking for work. Healthy
	// range measured (2 s, GOMAXPROCS 4 on 2 shared cores, pprof / perf
	// -g -p): busy net/http 0.19–0.21 / 0.26–0.27, 256 line-protocol
	// connections 0.20–0.29 / 0.31–0.42 (every request passes through
	// netpoll and a park), CPU-bound batch 0.04 / 0.07–0.09; spins 0.30
	// (read deadlines) to 0.96 (Gosched). Healthy servers cross it, so the
	// share alone never decides: spinOverWork or timerShareWarn must hold
	// too.
	spinShareWarn = 0.20
	// spinShareCritical: the scheduler costing more than 40 % of CPU,
	// i.e. as much as the program's useful work in most cases. The
	// line-protocol service's perf.data reached 0.42 once; like the
	// warning it needs spinOverWork or timerShareWarn as well.
	spinShareCritical = 0.40
	// spinOverWork: the search costs more than the work it finds — the
	// CPU of every sample outside the scheduler, the collector and the
	// arming of timers (user code, its system calls, allocation). Healthy
	// range measured (2 s, pprof and perf -g -p): busy net/http 0.26–0.43,
	// 256 line-protocol connections 0.25–0.74, CPU-bound batch 0.04–0.10;
	// a 1 µs timer loop 5.6–10, goroutines polling with Gosched 22.
	spinOverWork = 1.0
	// timerShareWarn: or the timer heap itself takes 5 % of CPU — timers
	// and deadlines added, modified and run at a rate no timeout or
	// ticker reaches. Healthy range measured: busy net/http 0.01–0.02,
	// line protocol 0.005–0.02, batch and idle 0; read deadlines re-armed
	// every 20 µs 0.13–0.14, while their scheduler time (0.30) stays
	// under the work around it (0.46–0.51), the futile reads counting as
	// work.
	timerShareWarn = 0.05
	// timerShareAlone: a tenth of all CPU in the timer heap is timer
	// churn whatever the scheduler share, five times the healthy maximum
	// measured (0.02). Read deadlines re-armed every 20 µs measured
	// 0.08–0.18 of CPU there with a scheduler share of 0.21–0.34, which a
	// loaded machine pushed under spinShareWarn once in a few runs.
	timerShareAlone = 0.10
	// spinCoresCritical: a critical spin must also burn a quarter of a
	// core. The runtime budgets 25 % of GOMAXPROCS for the GC's background
	// marking; a quarter of one core spent only looking for work is of
	// that order, while a mostly idle process (a lock convoy, a stalled
	// pipeline) can show a high scheduler share of very little CPU, since
	// every P that runs out of work passes through findRunnable.
	spinCoresCritical = 0.25
	// yieldShareMin: explicit yields worth naming as the spin's driver.
	// A Gosched costs a pass through schedule; a tenth of all CPU in them
	// means goroutines poll with it in a loop rather than now and then
	// (as long loops do to let others run).
	yieldShareMin = 0.10
	// machineryShareWarn: the share of CPU in the machinery that wakes
	// goroutines without work — the timer heap, netpoll (Go and kernel
	// epoll), the osyield/usleep back-off and goroutines yielding with
	// runtime.Gosched — that must accompany scheduler time before it is
	// called spinning on timers and netpoll. Services with ordinary
	// timeouts spend a percent or two there; 5 % means timers or polls
	// fire at a very high rate. Without it, scheduler time is goroutine
	// hand-off (GC workers parking, channel ping-pong) and belongs to
	// other analyzers. Measured: busy net/http 0.08–0.13, line protocol
	// 0.10–0.23 (every request goes through netpoll), batch 0.01–0.04;
	// spins 0.12–0.96. Healthy servers pass it, so it only sets hand-off
	// apart; the work ratio and the timer heap tell servers from spins.
	machineryShareWarn = 0.05
	// machineryOfSpinMin: timers, netpoll and back-off must also make up a
	// quarter of the scheduler time itself. findRunnable polls the network
	// and checks timers on every pass, so some machinery shows up whenever
	// the scheduler is busy; when goroutines hand work to each other or
	// yield (channels, Gosched), scheduling dominates and the machinery
	// stays a small part of it. Measured: healthy servers 0.40–0.57, batch
	// 0.14–0.43, spins 0.4–1.
	machineryOfSpinMin = 0.25
)

// cpuJudgment is what the merged CPU profile says.
type cpuJudgment struct {
	ev       []analyze.Evidence
	missing  []analyze.Basis
	sev      analyze.Severity
	impact   float64
	culprit  *analyze.Culprit
	stacks   []analyze.Stack
	yielder  bool    // the culprit polls with runtime.Gosched
	yielding float64 // CPU share of explicit yields, when material
}

// judgeCPU applies the CPU rules; isYield matches explicit yields.
func judgeCPU(prof *cpu.Profile, isYield func(stacks.Frame) bool) cpuJudgment {
	var j cpuJudgment
	if prof == nil || len(prof.Sources) == 0 {
		return j
	}
	basis := samples.CPUBasis(prof)
	j.ev = append(j.ev, basis.Evidence())
	if !basis.Enough() {
		j.missing = append(j.missing, basis)
		return j
	}
	src := prof.Artifact()
	_, spin := prof.ShareWhere(isSpinOrTimerSample)
	_, timers := prof.Share(stacks.IsTimer)
	_, machinery := prof.ShareWhere(func(s cpu.Sample) bool {
		if s.Category == stacks.CatGC {
			return false
		}
		_, ok := stacks.Any(s.Stack, func(f stacks.Frame) bool {
			return stacks.IsTimer(f) || stacks.IsNetpoll(f) || stacks.IsSpinYield(f) || isYield(f)
		})
		return ok
	})
	_, kern := prof.Share(func(f stacks.Frame) bool { return stacks.IsNetpoll(f) && f.Kernel || stacks.IsFutex(f) && f.Kernel })
	user := prof.CategoryShare(stacks.CatUser)
	// Arming timers and deadlines feeds the machinery rather than doing
	// the program's work.
	_, arming := prof.ShareWhere(func(s cpu.Sample) bool {
		if s.Category == stacks.CatGC || isSpinOrTimerSample(s) {
			return false
		}
		_, ok := stacks.Any(s.Stack, stacks.IsTimerCreation)
		return ok
	})
	work := max(0, 1-spin-arming-prof.CategoryShare(stacks.CatGC))
	overWork := spin / max(work, 1e-9)
	e := analyze.Evidence{Metric: "cpu_share_scheduler_spin", Value: analyze.Round(spin), Unit: "fraction", Artifact: src, Threshold: analyze.Threshold(spinShareWarn),
		Note: "samples in findRunnable/schedule, stealWork, netpoll, timers, osyield/usleep and runtime locks under them, and in the timer heap wherever it runs"}
	switch {
	case !prof.Material(spin):
		e.Note += fmt.Sprintf("; only %.3f cores, not judged", spin*prof.Cores())
	case timers >= timerShareAlone && spin < spinShareWarn && prof.Material(timers):
		j.sev = analyze.Warning
		e.Note += fmt.Sprintf("; the timer heap alone takes %.0f%% of CPU (threshold %.0f%%)", 100*timers, 100*timerShareAlone)
	case machinery < machineryShareWarn || machinery < machineryOfSpinMin*spin || overWork < spinOverWork && timers < timerShareWarn:
	case spin >= spinShareCritical && (prof.Cores() == 0 || spin*prof.Cores() >= spinCoresCritical):
		j.sev = analyze.Critical
		e.Threshold = analyze.Threshold(spinShareCritical)
	case spin >= spinShareWarn:
		j.sev = analyze.Warning
		if spin >= spinShareCritical {
			e.Note += fmt.Sprintf("; %.3f cores, under the %.2f a critical spin burns", spin*prof.Cores(), spinCoresCritical)
		}
	}
	j.impact = spin
	j.ev = append(j.ev, e,
		analyze.Evidence{Metric: "scheduler_spin_over_work", Value: analyze.Round(overWork), Unit: "ratio", Artifact: src, Threshold: analyze.Threshold(spinOverWork),
			Note: "scheduler CPU ÷ CPU outside the scheduler and the collector (user code, its system calls, allocation)"},
		analyze.Evidence{Metric: "cpu_share_user", Value: analyze.Round(user), Unit: "fraction", Artifact: src, Note: "useful work to compare against"},
		analyze.Evidence{Metric: "cpu_share_timer_netpoll_yield", Value: analyze.Round(machinery), Unit: "fraction", Artifact: src, Threshold: analyze.Threshold(machineryShareWarn)},
		analyze.Evidence{Metric: "machinery_of_scheduler_time", Value: analyze.Round(machinery / max(spin, 1e-9)), Unit: "fraction", Artifact: src, Threshold: analyze.Threshold(machineryOfSpinMin)},
		analyze.Evidence{Metric: "cpu_share_timers", Value: analyze.Round(timers), Unit: "fraction", Artifact: src, Threshold: analyze.Threshold(timerShareWarn),
			Note: "the timer heap: adding, modifying, running timers and deadlines; with the scheduler share, a spin on timers even where the work ratio stays under its threshold"},
		analyze.Evidence{Metric: "cpu_share_timer_arming", Value: analyze.Round(arming), Unit: "fraction", Artifact: src,
			Note: "outside the scheduler: user code creating or re-arming timers, tickers and deadlines"},
		analyze.Evidence{Metric: "cpu_share_kernel_epoll_futex", Value: analyze.Round(kern), Unit: "fraction", Artifact: src})
	if hs := prof.Culprits(stacks.IsTimerCreation, 3); len(hs) > 0 {
		h := hs[0]
		j.culprit = &analyze.Culprit{Function: h.Func, File: h.File, Line: h.Line}
		j.stacks = append(j.stacks, analyze.Stack{Title: fmt.Sprintf("timer-creating caller in CPU samples (%.0f%% of timer-creation time)", 100*h.Share),
			Count: h.Value, Unit: "ns", Frames: hotNames(hs)})
	} else if _, ys := prof.Share(isYield); ys >= yieldShareMin && prof.Material(ys) {
		j.yielding = ys
		if hs := prof.Culprits(isYield, 3); len(hs) > 0 {
			h := hs[0]
			j.culprit, j.yielder = &analyze.Culprit{Function: h.Func, File: h.File, Line: h.Line}, true
			j.stacks = append(j.stacks, analyze.Stack{Title: fmt.Sprintf("caller of runtime.Gosched in CPU samples (%.0f%% of yielding time)", 100*h.Share),
				Count: h.Value, Unit: "ns", Frames: hotNames(hs)})
		}
	}
	return j
}

// isSpinOrTimerSample matches the samples a spin costs: the scheduler's
// search for work, and the timer heap wherever it runs (user goroutines
// adding and modifying the timers behind deadlines and sleeps pay for the
// heap the scheduler then runs; a re-armed deadline costs as much there as
// in findRunnable). GC samples are the gc_stw analyzer's.
func isSpinOrTimerSample(s cpu.Sample) bool {
	if isSpinSample(s) {
		return true
	}
	if s.Category == stacks.CatGC {
		return false
	}
	_, ok := stacks.Any(s.Stack, stacks.IsTimer)
	return ok
}
