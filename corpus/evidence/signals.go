package evidence

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/google/pprof/profile"

	"github.com/coroner/coroner/bundle"
)

// Signals is everything evidence reads from one capture; a nil field
// means the capture lacks that file.
type Signals struct {
	GC         *GC
	CPU        *profile.Profile
	Mutex      *profile.Profile
	Goroutines *Goroutines // the debug=2 dump taken at the end of the window
	Stderr     *Goroutines // the target's own stderr (crash tracebacks)
	Trace      *Ran
	HasCore    bool
}

// Read loads the signals a capture holds. A file that is absent is left
// nil; one that is present but unreadable is an error.
func Read(f Files) (*Signals, error) {
	s := &Signals{HasCore: f.HasKind(bundle.KindCore)}
	var errs []error
	load := func(name string, parse func(io.Reader) error) {
		rc, err := f.Open(name)
		if errors.Is(err, ErrMissing) {
			return
		}
		if err != nil {
			errs = append(errs, err)
			return
		}
		defer rc.Close()
		if err := parse(rc); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	load("gctrace.log", func(r io.Reader) error {
		g, err := ParseGCTrace(r)
		s.GC = &g
		return err
	})
	load("cpu.pprof", func(r io.Reader) (err error) { s.CPU, err = ParseProfile(r); return })
	load("mutex.pprof", func(r io.Reader) (err error) { s.Mutex, err = ParseProfile(r); return })
	load("goroutines.txt", func(r io.Reader) error {
		g, err := ParseGoroutines(r)
		s.Goroutines = &g
		return err
	})
	load("trace.out", func(r io.Reader) error {
		t, err := ParseTrace(r)
		s.Trace = &t
		return err
	})
	load("stderr.log", func(r io.Reader) error {
		g, err := ParseGoroutines(r)
		s.Stderr = &g
		return err
	})
	return s, errors.Join(errs...)
}

// Thresholds. Each says where its number comes from; none is tuned to a
// scenario's function names, only to what the runtime does.
const (
	// gcCPUStorm: the collector's background workers are budgeted 25 % of
	// GOMAXPROCS; a GC CPU share above that means mutator assists are
	// doing marking on the request path.
	gcCPUStorm = 25
	// gcFrequent: the pacer starts a cycle each time the heap grows by
	// GOGC percent over the live heap, so cycles per second is allocation
	// rate over (live heap × GOGC/100). A steady service turns its heap
	// over less than twice a second; the CPU share above is the main
	// signal, this only rules out one long cycle in a quiet process.
	gcFrequent = 2.0
	// schedShare: in a service doing real work the scheduler, timers and
	// netpoller take a few percent of CPU; a quarter means they are the
	// work.
	schedShare = 0.25
	// poolShare: sync.Pool's fast path is a few nanoseconds per call; a
	// fifth of all CPU in its methods means slow paths (stealing, victim
	// lookups, New).
	poolShare = 0.20
	// lockWaiting: mutex delay per wall second, i.e. goroutines waiting
	// at any instant on average; twice GOMAXPROCS on the two-core machines
	// the corpus targets means more goroutines wait than can run.
	lockWaiting = 4.0
	// stuckMin: goroutines parked on one lock or channel kind — one waiter
	// is normal hand-off, two that stay means nobody will release them.
	stuckMin = 2
	// busyCores: a CPU profile's shares only say where a busy process
	// spends its time; an idle one's few samples are mostly the scheduler
	// looking for work. A quarter of a core is well above idle background
	// (GC, timers, an idle HTTP server) and below any scenario under load.
	busyCores = 0.25
	// stuckTrace: a mutex waiter in a live program runs again within
	// milliseconds (the runtime hands a starving mutex over after 1 ms);
	// one that does not run for a whole trace of at least a second is
	// not coming back.
	stuckTrace = 900 * time.Millisecond
)

// schedFuncs are the runtime's scheduler, timer and netpoll paths.
var schedFuncs = Prefix("runtime.findRunnable", "runtime.schedule", "runtime.netpoll",
	"runtime.(*timers).", "runtime.(*timer).", "runtime.stealWork", "runtime.checkTimers",
	"runtime.resetForSleep", "runtime.netpollblock", "internal/poll.(*pollDesc).",
	"internal/poll.setDeadlineImpl", "runtime.poll_runtime_pollSetDeadline", "time.(*Timer).Reset",
	"runtime.park_m", "runtime.goready", "runtime.ready")

// poolFuncs are sync.Pool's methods and the per-P pinning they use.
var poolFuncs = Prefix("sync.(*Pool).", "sync.(*poolChain).", "sync.(*poolDequeue).",
	"sync.poolCleanup", "sync.runtime_procPin", "runtime.procPin")

// lockStates are goroutine wait states of a lock or channel.
var lockStates = []string{"sync.Mutex.Lock", "sync.RWMutex.Lock", "sync.RWMutex.RLock", "chan send", "chan receive", "select"}

// Causes returns every root cause the signals show, each with the numbers
// that show it, sorted by cause.
func Causes(s *Signals) map[string]string {
	out := map[string]string{}
	if g := s.GC; g != nil && g.CPUPercent >= gcCPUStorm && g.PerSecond() >= gcFrequent {
		out["gc_stw"] = fmt.Sprintf("GC CPU %d%%, %.0f cycles/s, %v total STW over %d cycles", g.CPUPercent, g.PerSecond(), g.Pause, g.Cycles)
	}
	if s.CPU != nil && busy(s.CPU) {
		if sh, err := Share(s.CPU, "cpu", schedFuncs); err == nil && sh >= schedShare {
			out["netpoll_spin"] = fmt.Sprintf("%.0f%% of CPU samples in scheduler/timer/netpoll", 100*sh)
		}
		if sh, err := Share(s.CPU, "cpu", poolFuncs); err == nil && sh >= poolShare {
			out["syncpool_contention"] = fmt.Sprintf("%.0f%% of CPU samples in sync.Pool", 100*sh)
		}
	}
	if s.Mutex != nil && s.CPU != nil {
		if w, err := Waiting(s.Mutex, dur(s.CPU)); err == nil && w >= lockWaiting {
			out["lock_wait"] = fmt.Sprintf("%.1f goroutines waiting on locks on average", w)
		}
	}
	if s.Stderr != nil && s.Stderr.Panic != "" && s.Stderr.Running > 0 {
		out["crash"] = fmt.Sprintf("panic: %s (core: %v)", s.Stderr.Panic, s.HasCore)
	}
	if g, tr := s.Goroutines, s.Trace; g != nil && tr != nil && tr.Span >= stuckTrace {
		stuck := 0
		for _, st := range []string{"sync.Mutex.Lock", "sync.RWMutex.Lock"} {
			for _, id := range g.IDs[st] {
				if !tr.IDs[id] {
					stuck++
				}
			}
		}
		if stuck >= stuckMin {
			out["deadlock"] = fmt.Sprintf("%d goroutines parked on mutexes did not run once during the %v trace; waiting: %s", stuck, tr.Span.Round(time.Millisecond), states(g))
		}
	}
	return out
}

// busy reports whether a CPU profile shows at least busyCores of work.
func busy(p *profile.Profile) bool {
	c, err := Cores(p)
	return err == nil && c >= busyCores
}

// dur is a CPU profile's wall duration.
func dur(p *profile.Profile) time.Duration { return time.Duration(p.DurationNanos) }

// states renders the lock and channel wait states of a dump.
func states(g *Goroutines) string {
	var parts []string
	for _, st := range lockStates {
		if n := g.ByState[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", st, n))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}
