package lockwait

import "time"

// Thresholds.
const (
	// waitersWarn: average number of goroutines waiting on locks at any
	// moment (total wait time divided by the recording's duration — Little's
	// law). One waiter on average means the lock is never free: every
	// release hands it to a queued goroutine. Healthy range measured (2 s
	// captures, mutex and block profiles and trace): busy net/http
	// 0.0001–0.022, a line protocol over 256 connections with 64 locked
	// shards 0.0001–0.026, batch 0–0.001, idle 0. Under a machine loaded
	// six times over, holders lose their CPU while holding and waits
	// stretch: 16 shards read 0.12–0.5, one RWMutex for all 256
	// connections 0.6–0.9, for 512 3.9 (trace), a one-mutex counter
	// service under 300 connections 6.4 (trace).
	waitersWarn = 1.0
	// waitersCritical: four goroutines queued on average — more waiting
	// than a typical 4-P service can run, so throughput is bounded by the
	// critical section.
	waitersCritical = 4.0
	// parkedWarn: goroutines parked on sync.Mutex/RWMutex at one instant
	// in a census. A goroutine parks on a mutex only after spinning for it
	// failed (the holder kept it past a few microseconds of spinning), so
	// an uncontended or briefly held lock never shows a parked goroutine:
	// every dump of the healthy workloads and corpus services (busy
	// net/http, a line protocol over 256–512 connections, CPU-bound batch,
	// idle) showed none. Four at once is a queue: six workers sharing one
	// lock that guards all their work showed 3–5 in most dumps, where a
	// threshold of eight (more than most services have Ps) missed them.
	parkedWarn = 4
	// parkedCritical: a hundred goroutines queued on locks at one instant.
	parkedCritical = 100
	// longWaitMinutes: the runtime prints "N minutes" on goroutines blocked
	// for at least a minute; a goroutine parked on a mutex that long is
	// stuck behind a holder that does not release it.
	longWaitMinutes = 1
	// runtimeLockShareWarn: runtime-internal lock (lock2/futex) share of
	// CPU samples outside the scheduler. The runtime's locks are held for
	// nanoseconds; 10 % of CPU there means heavy contention on a runtime
	// structure (heap, timers, channels' hchan locks).
	runtimeLockShareWarn = 0.10
	// minContentions: the fewest contentions a mutex or block profile's
	// waiting average is taken from. An average of one or two waits is
	// whatever those waits were — a GC pause, one slow holder — not a
	// queue; ten spread over the recording start to describe one. The
	// healthy workloads' profiles held 27–7,567 contentions in 2 s, the
	// idle one's mutex profile 1.
	minContentions = 10
	// minTraceDuration: a trace shorter than this is not judged; half a
	// second holds a few thousand hand-offs of a contended lock and
	// several GC cycles of a busy service, so one burst does not decide
	// the average.
	minTraceDuration = 500 * time.Millisecond
)
