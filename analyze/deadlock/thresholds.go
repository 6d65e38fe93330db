package deadlock

// Thresholds.
const (
	// nearlyAllBlocked: the share of user goroutines blocked on
	// synchronization that makes a stall. A live service always has some
	// goroutine in IO wait, a syscall, a sleep or running; when at most one
	// in ten is, and none can run, nothing is left to wake the rest.
	nearlyAllBlocked = 0.9
	// minBlocked: at least this many blocked goroutines; one goroutine
	// waiting on a channel in a tiny program is not evidence of a stall.
	minBlocked = 2
	// confidenceAll: every user goroutine blocked, nothing runnable: the
	// runtime would call it a deadlock if no timer or I/O could wake it,
	// which a snapshot cannot fully rule out (a select may hold a timer).
	confidenceAll = 0.8
	// confidenceNearly: nearly all blocked.
	confidenceNearly = 0.6
	// confidenceLongWait: add when the blocked goroutines have waited at
	// least stuckMinutes: the runtime prints minutes only past one minute,
	// and a transient queue drains in milliseconds.
	confidenceLongWait = 0.15
	stuckMinutes       = 1
	// maxStacks bounds the groups shown.
	maxStacks = 8
)
