package capture

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Core modes for Options.Core.
const (
	CoreGcore = "gcore" // gcore(1) keeps the process alive
	CoreAbort = "abort" // SIGABRT to a process running with GOTRACEBACK=crash
	// CoreMethodRuntime records, in the core step, a core the target's
	// runtime wrote when it died on its own during the capture.
	CoreMethodRuntime = "runtime"
	CoreNone          = "none"
)

// Perf modes for Options.Perf.
const (
	PerfAuto = "auto" // record when perf exists and is permitted, else record why not
	PerfOff  = "off"
)

// Default timings. The window default matches `go tool pprof`'s 30 s CPU
// profile scaled down to what an incident responder waits for.
const (
	// DefaultDuration is the capture window.
	DefaultDuration = 10 * time.Second
	// DefaultTraceDuration is the execution trace's length. A trace grows
	// with scheduling events — tens of MiB per second on a busy two-core
	// service with thousands of goroutines — and slows the target while it
	// runs; a few seconds holds hundreds of GC cycles and scheduler rounds.
	DefaultTraceDuration = 3 * time.Second
	// DefaultReadyTimeout bounds the wait for an --exec target's pprof
	// endpoint; a Go service that has not bound its debug port in this
	// long is not going to.
	DefaultReadyTimeout = 15 * time.Second
	// snapshotTimeout bounds each instant step (a /proc file, a heap
	// profile, the goroutine dump of a process with ~10⁵ goroutines).
	snapshotTimeout = 20 * time.Second
	// windowSlack is added to the window for steps that last the window:
	// the HTTP round trip and perf's final flush of its buffers.
	windowSlack = 15 * time.Second
	// coreTimeout bounds gcore or the runtime's own crash dump; writing a
	// few GiB of core to local disk takes tens of seconds.
	coreTimeout = 60 * time.Second
	// exitTimeout bounds the wait for a target to exit after SIGABRT or,
	// for --exec targets, after the capture (SIGTERM then SIGKILL).
	exitTimeout = 20 * time.Second
)

// Options says what to capture and where to put it.
type Options struct {
	// PID is an already running process. Exactly one of PID and Exec is set.
	PID int
	// Exec is a command coroner starts itself, with GODEBUG=gctrace=1 and
	// GOTRACEBACK=crash added to its environment and core dumps enabled.
	Exec []string
	// Dir is the working directory for Exec (default: coroner's).
	Dir string
	// PprofURL is the target's net/http/pprof base URL, e.g.
	// "http://127.0.0.1:6060" or ".../debug/pprof/". Empty, for a PID
	// target, looks for the endpoint among the process's own listening
	// TCP sockets; for an Exec target it skips the pprof steps.
	PprofURL string
	// Duration is the capture window for CPU profile, perf and trace.
	Duration time.Duration
	// TraceDuration is the execution trace's length, taken at the end of
	// the window so it carries CPU samples (0: DefaultTraceDuration, capped
	// by Duration; negative: no trace).
	TraceDuration time.Duration
	// ReadyTimeout bounds the wait for an Exec target's pprof URL.
	ReadyTimeout time.Duration
	// Core is CoreGcore, CoreAbort or CoreNone.
	Core string
	// Perf is PerfAuto or PerfOff.
	Perf string
	// NoKallsyms leaves /proc/kallsyms out: it reveals the kernel's
	// address layout (KASLR) to whoever reads the archive.
	NoKallsyms bool
	// WithEnv stores the target's environment (it may hold secrets).
	WithEnv bool
	// Output is the archive to write; the staging directory is created
	// beside it.
	Output string
	// KeepStaging keeps the staging directory after a successful ingest.
	KeepStaging bool
	// ID, Title and Labels are passed on to the archive's manifest.
	ID, Title string
	Labels    map[string]string
	// Log receives plain progress lines; may be nil.
	Log func(format string, args ...any)
	// Progress receives step completions for a progress bar; may be nil.
	Progress func(Progress)
	// TargetOutput receives an Exec target's stdout (default: discarded).
	TargetOutput io.Writer
}

// ErrUsage marks option errors (bad flags), as opposed to capture failures.
var ErrUsage = errors.New("usage")

// normalize fills defaults and rejects contradictory options.
func (o *Options) normalize() error {
	if (o.PID != 0) == (len(o.Exec) != 0) {
		return fmt.Errorf("%w: give exactly one of --pid PID or --exec -- CMD ARGS", ErrUsage)
	}
	if o.PID < 0 {
		return fmt.Errorf("%w: --pid %d: not a process ID", ErrUsage, o.PID)
	}
	if o.Output == "" {
		return fmt.Errorf("%w: -o OUT.tar.zst is required", ErrUsage)
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.Duration < 0 {
		return fmt.Errorf("%w: --duration %v: must be positive", ErrUsage, o.Duration)
	}
	if o.TraceDuration == 0 {
		o.TraceDuration = DefaultTraceDuration
	}
	if o.TraceDuration > o.Duration {
		o.TraceDuration = o.Duration
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = DefaultReadyTimeout
	}
	switch o.Core {
	case "":
		o.Core = CoreGcore
	case CoreGcore, CoreAbort, CoreNone:
	default:
		return fmt.Errorf("%w: --core %q: want gcore, abort or none", ErrUsage, o.Core)
	}
	switch o.Perf {
	case "":
		o.Perf = PerfAuto
	case PerfAuto, PerfOff:
	default:
		return fmt.Errorf("%w: --perf %q: want auto or off", ErrUsage, o.Perf)
	}
	if o.PprofURL != "" {
		u, err := pprofBase(o.PprofURL)
		if err != nil {
			return fmt.Errorf("%w: --pprof %q: %v", ErrUsage, o.PprofURL, err)
		}
		o.PprofURL = u
	}
	if o.Log == nil {
		o.Log = func(string, ...any) {}
	}
	return nil
}
