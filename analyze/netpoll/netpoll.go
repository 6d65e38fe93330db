// Package netpoll diagnoses scheduler spinning: CPU burned looking for
// work — runtime.findRunnable, work stealing, network polling, timer
// processing, osyield/usleep back-off, epoll_wait and futex in the kernel —
// with little useful work behind it, typically driven by code that creates
// timers, tickers or deadlines at a high rate, or that polls with
// runtime.Gosched. The culprit is the user frame that creates the timers,
// whose goroutines fast tickers keep waking, or that yields.
package netpoll

import (
	"fmt"
	"strings"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/cpu"
	agoroutines "github.com/coroner/coroner/analyze/goroutines"
	"github.com/coroner/coroner/analyze/internal/stacks"
	"github.com/coroner/coroner/analyze/internal/traces"
	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/bundle/tracefile"
)

// Analyzer is the netpoll_spin analyzer.
var Analyzer = &analyze.Analyzer{
	Name:     "netpoll_spin",
	Doc:      "CPU burned in the scheduler's search for work (findRunnable, stealWork, netpoll, timers, osyield/usleep, epoll_wait/futex kernel frames) with little useful work behind it; culprit: the user frames creating timers, tickers or deadlines at a high rate, waiting on fast tickers (from a core), or polling with runtime.Gosched",
	Version:  "2",
	Requires: []*analyze.Analyzer{cpu.Analyzer, traces.Analyzer},
	// A core's census names the goroutines timers keep waking when neither
	// CPU samples nor a trace show who creates the timers; without it the
	// profiles and traces still speak.
	After: []*analyze.Analyzer{agoroutines.Analyzer},
	Run:   run,
}

// Thresholds.
const (
	// spinShareWarn: an idle or healthy Go service spends under 5 % of its
	// CPU in scheduler code (findRunnable finds work at once or parks the M
	// in futexsleep, which costs nothing). Four times that — a fifth of
	// all CPU spent looking for work — is spinning.
	spinShareWarn = 0.20
	// spinShareCritical: the scheduler costing more than 40 % of CPU,
	// i.e. as much as the program's useful work in most cases.
	spinShareCritical = 0.40
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
	// runtime.Gosched — that must accompany
	// scheduler time before it is called spinning on timers and netpoll.
	// Services with ordinary timeouts spend a percent or two there; 5 % means
	// timers or polls fire at a very high rate. Without it, scheduler time
	// is goroutine hand-off (GC workers parking, channel ping-pong) and
	// belongs to other analyzers.
	machineryShareWarn = 0.05
	// machineryOfSpinMin: timers, netpoll and back-off must also make up a
	// quarter of the scheduler time itself. findRunnable polls the network
	// and checks timers on every pass, so some machinery shows up whenever
	// the scheduler is busy; when goroutines hand work to each other or
	// yield (channels, Gosched), scheduling dominates and the machinery
	// stays a small part of it.
	machineryOfSpinMin = 0.25
	// wakeupsPerSecondWarn: short timer wakeups per second in the trace —
	// goroutines woken by time.Sleep, timers or deadlines whose sleeps
	// average under shortSleep. Each wakeup costs a pass through the
	// timer heap, findRunnable and usually a futex wake, some 5–10 µs, so
	// 2,000 a second keep a P busy 1–2 % just waking goroutines that then
	// do almost nothing; ordinary timeouts and tickers fire far less often.
	wakeupsPerSecondWarn = 2000.0
	// wakeupsPerSecondCritical: ten times that — a tenth of a core or more
	// spent only on waking goroutines that do almost nothing.
	wakeupsPerSecondCritical = 20000.0
	// shortSleep: sleeps shorter than 1 ms are below what timeouts and
	// periodic work use; they are polling loops.
	shortSleep = time.Millisecond
	// wakeupCost is the scheduler work one wakeup costs (timer heap,
	// findRunnable, futex wake), used to estimate the impact of wakeups
	// seen only in a trace.
	wakeupCost = 5 * time.Microsecond
)

func run(pass *analyze.Pass) (any, error) {
	prof, _ := pass.ResultOf(cpu.Analyzer).(*cpu.Profile)
	var ev []analyze.Evidence
	sev := analyze.Info
	var families []string
	var culprit *analyze.Culprit
	var culpritStack []analyze.Stack
	yielder := false     // the culprit polls with runtime.Gosched
	var yielding float64 // CPU share of explicit yields, when material
	var census *goroutines.Census
	if gr, ok := pass.ResultOf(agoroutines.Analyzer).(*agoroutines.Result); ok && gr != nil {
		census = gr.Census
	}
	ySite, yN := censusYielders(census)
	isYield := yieldMatcher(yN > 0)

	var impact float64
	raise := func(s analyze.Severity) { sev = max(sev, s) }
	if prof != nil && prof.Total > 0 {
		src := strings.Join(prof.Sources, ",")
		families = append(families, "CPU profile")
		_, spin := prof.ShareWhere(isSpinSample)
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
		e := analyze.Evidence{Metric: "cpu_share_scheduler_spin", Value: round(spin), Unit: "fraction", Artifact: src,
			Note: "samples in findRunnable/schedule, stealWork, netpoll, timers, osyield/usleep and runtime locks under them"}
		switch {
		case !prof.Material(spin):
			e.Threshold = analyze.Threshold(spinShareWarn)
			e.Note += fmt.Sprintf("; only %.3f cores, not judged", spin*prof.Cores())
		case machinery < machineryShareWarn || machinery < machineryOfSpinMin*spin:
			e.Threshold = analyze.Threshold(spinShareWarn)
		case spin >= spinShareCritical && spin > user && (prof.Cores() == 0 || spin*prof.Cores() >= spinCoresCritical):
			raise(analyze.Critical)
			e.Threshold = analyze.Threshold(spinShareCritical)
		case spin >= spinShareWarn && spin > user:
			raise(analyze.Warning)
			e.Threshold = analyze.Threshold(spinShareWarn)
			if spin >= spinShareCritical {
				e.Note += fmt.Sprintf("; %.3f cores, under the %.2f a critical spin burns", spin*prof.Cores(), spinCoresCritical)
			}
		default:
			e.Threshold = analyze.Threshold(spinShareWarn)
		}
		impact = spin
		ev = append(ev, e,
			analyze.Evidence{Metric: "cpu_share_user", Value: round(user), Unit: "fraction", Artifact: src, Note: "useful work to compare against"},
			analyze.Evidence{Metric: "cpu_share_timer_netpoll_yield", Value: round(machinery), Unit: "fraction", Artifact: src, Threshold: analyze.Threshold(machineryShareWarn)},
			analyze.Evidence{Metric: "machinery_of_scheduler_time", Value: round(machinery / max(spin, 1e-9)), Unit: "fraction", Artifact: src, Threshold: analyze.Threshold(machineryOfSpinMin)},
			analyze.Evidence{Metric: "cpu_share_timers", Value: round(timers), Unit: "fraction", Artifact: src},
			analyze.Evidence{Metric: "cpu_share_kernel_epoll_futex", Value: round(kern), Unit: "fraction", Artifact: src})
		if hs := prof.Culprits(stacks.IsTimerCreation, 3); len(hs) > 0 {
			h := hs[0]
			culprit = &analyze.Culprit{Function: h.Func, File: h.File, Line: h.Line}
			culpritStack = append(culpritStack, analyze.Stack{Title: fmt.Sprintf("timer-creating caller in CPU samples (%.0f%% of timer-creation time)", 100*h.Share),
				Count: h.Value, Unit: "ns", Frames: hotNames(hs)})
		} else if _, ys := prof.Share(isYield); ys >= yieldShareMin && prof.Material(ys) {
			yielding = ys
			if hs := prof.Culprits(isYield, 3); len(hs) > 0 {
				h := hs[0]
				culprit, yielder = &analyze.Culprit{Function: h.Func, File: h.File, Line: h.Line}, true
				culpritStack = append(culpritStack, analyze.Stack{Title: fmt.Sprintf("caller of runtime.Gosched in CPU samples (%.0f%% of yielding time)", 100*h.Share),
					Count: h.Value, Unit: "ns", Frames: hotNames(hs)})
			}
		}
	}
	for _, t := range traces.Of(pass).Traces {
		if t.Summary.Duration <= 0 {
			continue
		}
		families = append(families, "execution trace")
		wake, site := timerWakeups(t.Summary)
		rate := float64(wake) / t.Summary.Duration.Seconds()
		e := analyze.Evidence{Metric: "short_scheduler_wakeups_per_second", Value: round(rate), Unit: "1/s", Artifact: t.Path,
			Threshold: analyze.Threshold(wakeupsPerSecondWarn), Note: "goroutines woken by the scheduler (timers, deadlines, netpoll) after blocking under 1 ms on average"}
		ev = append(ev, e)
		if impact == 0 {
			procs := max(1, t.Summary.GOMAXPROCS)
			impact = min(1, rate*wakeupCost.Seconds()/float64(procs))
		}
		if rate >= wakeupsPerSecondWarn {
			// Timer churn alone is a warning; with CPU evidence of spinning
			// the CPU threshold decides.
			if prof == nil || prof.Total == 0 {
				raise(analyze.Warning)
				if rate >= wakeupsPerSecondCritical {
					raise(analyze.Critical)
					ev[len(ev)-1].Threshold = analyze.Threshold(wakeupsPerSecondCritical)
				}
			}
			if site != nil && culprit == nil {
				culprit = site
			}
		}
		if site != nil && culprit == nil && sev >= analyze.Warning {
			culprit = site
		}
	}
	if len(families) == 0 {
		return nil, nil
	}
	timerSite := false
	if culprit == nil && sev >= analyze.Warning && yielding > 0 && ySite != nil {
		families = append(families, "goroutine census")
		ev = append(ev, analyze.Evidence{Metric: "goroutines_in_gosched", Value: float64(yN), Unit: "goroutines", Artifact: census.Source,
			Note: fmt.Sprintf("goroutines inside runtime.Gosched, most in %s; %.0f%% of CPU is in explicit yields", ySite.Function, 100*yielding)})
		culprit, yielder = ySite, true
		pass.Used(census.Source)
	}
	if culprit == nil && sev >= analyze.Warning {
		if w := censusTimers(census); w != nil && w.site != nil {
			families = append(families, "goroutine census")
			ev = append(ev, w.evidence())
			culprit, timerSite = w.site, true
			pass.Used(w.source)
		}
	}
	f := analyze.Finding{ID: "netpoll_spin/scheduler-spin", Severity: sev, Impact: round(impact), Evidence: ev, Culprit: culprit, Stacks: culpritStack,
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
		f.Confidence = min(0.95, 0.6+0.15*float64(len(families)-1))
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

// timerWakeups counts short sleeps ended by the scheduler itself — timers
// firing or netpoll readiness found while looking for work — and names the
// user frame whose goroutines were woken most.
func timerWakeups(s *tracefile.Summary) (int64, *analyze.Culprit) {
	var n int64
	best := map[string]int64{}
	where := map[string]stacks.Frame{}
	for _, b := range s.Blocks {
		if b.SchedWakeups == 0 || b.Total/time.Duration(b.Count) >= shortSleep {
			continue
		}
		fs := make([]stacks.Frame, len(b.Frames))
		for i, f := range b.Frames {
			fs[i] = stacks.Frame{Func: f.Func, File: f.File, Line: f.Line}
		}
		n += b.SchedWakeups
		if u := stacks.FirstUser(fs, 0); u >= 0 {
			best[fs[u].Func] += b.SchedWakeups
			where[fs[u].Func] = fs[u]
		}
	}
	var top string
	for fn, c := range best {
		if top == "" || c > best[top] || (c == best[top] && fn < top) {
			top = fn
		}
	}
	if top == "" {
		return n, nil
	}
	f := where[top]
	return n, &analyze.Culprit{Function: f.Func, File: f.File, Line: f.Line}
}

func hotNames(hs []cpu.Hot) []string {
	var out []string
	for _, h := range hs {
		out = append(out, fmt.Sprintf("%s %s:%d (%s)", h.Func, h.File, h.Line, time.Duration(h.Value).Round(time.Millisecond)))
	}
	return out
}

func round(v float64) float64 { return float64(int64(v*10000+0.5)) / 10000 }
