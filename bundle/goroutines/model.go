// Package goroutines is the goroutine census model shared by every source
// that can list goroutines — a core dump, a text goroutine dump (SIGQUIT,
// crash output, pprof debug=1 and debug=2) — and the grouping of goroutines
// into buckets of identical normalized stacks.
//
// A per-kind reader: of coroner's packages it imports only
// bundle/servicelog.
package goroutines

// Frame is one function activation on a goroutine's stack.
type Frame struct {
	Func string `json:"func"`
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Inlined is true when the frame was inlined into its caller.
	Inlined bool `json:"inlined,omitempty"`
}

// Goroutine is one goroutine as a source describes it.
type Goroutine struct {
	ID     int64  `json:"id"`
	Status string `json:"status"` // "running", "runnable", "waiting", "syscall", "dead", …
	// WaitReason is the runtime's wait reason ("chan receive", "sync.Mutex.Lock", …).
	WaitReason string `json:"wait_reason,omitempty"`
	// WaitMinutes is how long the goroutine has been blocked, as the runtime
	// records it (minutes resolution in dumps); -1 when unknown.
	WaitMinutes int `json:"wait_minutes"`
	// WaitNanos is the same wait at nanosecond resolution where a core
	// shows it (0 otherwise): the runtime stamps g.waitsince when the first
	// GC after the goroutine blocked saw it, and the core's clock is its
	// latest recorded time, so it is a lower bound.
	WaitNanos int64 `json:"wait_nanos,omitempty"`
	// Frames lists the stack from innermost to outermost.
	Frames []Frame `json:"frames"`
	// CreatedBy is the go statement's location, when known.
	CreatedBy *Frame `json:"created_by,omitempty"`
	// CreatorID is the goroutine that started this one, when known.
	CreatorID int64             `json:"creator_id,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	// System marks runtime-internal goroutines (GC workers, finalizers, …).
	System bool `json:"system,omitempty"`
	// LockAddr is the address of the object the goroutine waits on, when a
	// core makes it visible (0 otherwise): the channel, or for sync.Mutex,
	// RWMutex and WaitGroup waiters the runtime semaphore word inside the
	// lock (as the runtime's semaphore table records it). Waiters with the
	// same LockAddr wait on the same object.
	LockAddr uint64 `json:"lock_addr,omitempty"`
	// HeldLocks lists, as semaphore addresses comparable with LockAddr,
	// the locked sync.Mutexes that other goroutines wait on and whose
	// address this goroutine's stack holds (core only): a function that
	// locked a mutex keeps its address for the deferred or later Unlock,
	// so these are the locks it most likely holds. Sorted ascending.
	HeldLocks []uint64 `json:"held_locks,omitempty"`
	// Timer is set when a core shows the goroutine parked on, or just
	// woken from, a receive from a runtime timer's channel (time.Timer,
	// time.Ticker, time.After), alone or as a select case, as a core of a
	// program built with Go 1.23 or later shows it.
	Timer *Timer `json:"timer,omitempty"`
	// Semaphore is set when a core shows the goroutine blocked sending on
	// a buffered channel of zero-size elements (chan struct{}): the
	// channel-as-semaphore idiom, where a send acquires a slot and a
	// receive releases it.
	Semaphore bool `json:"semaphore,omitempty"`
	// Thread is the OS thread ID running it, when known (core, crash dumps).
	Thread int `json:"thread,omitempty"`
	// Crashed marks the goroutine on which a fatal signal or panic arrived.
	Crashed bool `json:"crashed,omitempty"`
	// Count is how many goroutines this entry stands for; 1 except for
	// sources that aggregate (pprof goroutine debug=1), where it is the
	// number of goroutines sharing the stack.
	Count int `json:"count"`
}

// Timer is the runtime timer feeding the channel a goroutine waits on.
type Timer struct {
	// PeriodNanos is a ticker's period; 0 for a one-shot timer.
	PeriodNanos int64 `json:"period_nanos,omitempty"`
}

// Census is the goroutine list from one source.
type Census struct {
	// Source names the artifact the census came from.
	Source string `json:"source"`
	// Format is "core", "crash", "sigquit", "debug2", "debug1" or "pprof".
	Format     string      `json:"format"`
	Goroutines []Goroutine `json:"goroutines"`
	// Complete is false when the source was cut (e.g. debug=2 output stops at
	// 64 MiB) or partly unreadable; Warnings say why.
	Complete bool     `json:"complete"`
	Warnings []string `json:"warnings,omitempty"`
	// Crash holds what the runtime printed or left in memory about a crash.
	Crash *Crash `json:"crash,omitempty"`
	// Requested is set instead of Crash when the source shows a dump
	// someone asked for: a signal sent from outside with no goroutine
	// panicking or throwing, or a debugger's snapshot.
	Requested *Requested `json:"requested,omitempty"`
	// GoVersion is the Go toolchain that built the program, when known.
	GoVersion string `json:"go_version,omitempty"`
	// Reader names what read the source and its version, e.g.
	// "delve v1.27.2" for cores.
	Reader string `json:"reader,omitempty"`
}

// Crash is what a source knows about a fatal error or panic.
type Crash struct {
	// Kind is "panic", "fatal error", "signal" …; Message the panic value or
	// fatal error text ("assignment to entry in nil map").
	Kind         string `json:"kind"`
	Message      string `json:"message,omitempty"`
	Signal       string `json:"signal,omitempty"` // "SIGSEGV", "SIGABRT", …
	Code         string `json:"code,omitempty"`
	FaultAddr    uint64 `json:"fault_addr,omitempty"`
	PC           uint64 `json:"pc,omitempty"`
	GoroutineID  int64  `json:"goroutine_id,omitempty"`
	Thread       int    `json:"thread,omitempty"`
	Site         *Frame `json:"site,omitempty"`
	Signature    string `json:"signature,omitempty"`
	SignatureKey string `json:"signature_key,omitempty"`
}

// Total is the number of goroutines the census stands for, honoring Count.
func (c *Census) Total() int {
	n := 0
	for i := range c.Goroutines {
		g := &c.Goroutines[i]
		if g.Count > 0 {
			n += g.Count
		} else {
			n++
		}
	}
	return n
}
