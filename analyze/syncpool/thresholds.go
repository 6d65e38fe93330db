package syncpool

// Thresholds.
const (
	// slowShareWarn: a Get or Put served from its own P's private slot
	// costs nanoseconds; the shared chains take over only when a goroutine
	// holds several objects at once, the slow paths only when the own P's
	// shard is empty (getSlow), on a pool's first use on a P (pinSlow) and
	// once per GC (poolCleanup). 5 % of CPU past the private slot means
	// Gets routinely miss locally and steal across Ps. Measured healthy:
	// under 1 % in busy HTTP (net/http pools its buffers), TCP
	// connections, batch and idle services.
	slowShareWarn = 0.05
	// slowShareCritical: pool bookkeeping costing 15 % of CPU outweighs the
	// allocations the pool exists to save.
	slowShareCritical = 0.15
	// newShareWarn: the pool's New running in more than 5 % of CPU samples
	// means Gets come back empty — the pool is drained every GC (poolCleanup
	// moves it to the victim cache and drops the old victim) or objects are
	// put back on other Ps than they are taken from. Measured healthy:
	// under 0.5 % in busy HTTP, TCP connections, batch and idle services.
	newShareWarn = 0.05
	// newAllocShareWarn: New called under Pool.Get allocating half of all
	// bytes: the pool returns nothing and every Get allocates, which is
	// what a pool emptied at every collection does (objects survive one
	// cycle in the victim cache, so a Get less often than every second
	// cycle on a P always misses). Measured healthy: under 1 % in the
	// services above.
	newAllocShareWarn = 0.5
	// mutexShareWarn: share of mutex-profile delay in pool frames (pinSlow
	// takes allPoolsMu); any sizable share is abnormal since steady-state
	// pool use takes no lock. 10 % of the recorded delay. Healthy
	// services and a service's first moments show a few such contentions
	// dominating a nearly empty profile, hence minPoolContentions.
	mutexShareWarn = 0.10
	// minCPUSamples: CPU shares are judged over at least 100 samples (one
	// CPU-second at pprof's 100 Hz; a 5 % share is then known to about
	// ±2 %, the binomial standard error). A profile cut short by a crash
	// or of a nearly idle process holds fewer.
	minCPUSamples = 100
	// minPoolContentions: a pool share of mutex delay is judged only over
	// at least 20 contention events in pool frames. Every pool's first use
	// on each P after it is created or emptied takes allPoolsMu (pinSlow),
	// so a service starting up, or a profile holding only its first
	// moments, shows a few pool contentions that dominate an otherwise
	// empty profile.
	minPoolContentions = 20
	// minPoolWaiters: and the pool's delay must amount to 0.05 goroutines
	// waiting on average over the profile's duration (Little's law, as
	// lock_wait counts waiters), when the profile knows its duration: a
	// lock whose waits add up to under 5 % of one goroutine's time cannot
	// be what made an incident.
	minPoolWaiters = 0.05
)
