// Package syncpool diagnoses sync.Pool contention: CPU in the pool's slow
// paths (getSlow stealing from other Ps and reading the victim cache,
// pinSlow growing a pool's per-P array under the global allPoolsMu, and
// poolCleanup at every GC start), the pool's New running hot or
// dominating allocations because Gets miss, and pool locks in mutex
// profiles. The culprit is the user code calling the pool, and its New.
// When forced collections (runtime.GC, debug.FreeOSMemory, as gc_stw
// finds them) empty the pools, it names the forcing caller beside the
// pool's New: the caller is what has to change.
package syncpool

import (
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/gcstw"
	"github.com/coroner/coroner/analyze/internal/pprofs"
)

// Analyzer is the syncpool_contention analyzer.
var Analyzer = &analyze.Analyzer{
	Name: "syncpool_contention",
	Doc: "sync.Pool slow paths, misses and locks\n\n" +
		"CPU in sync.Pool past the private slot (shared chains, getSlow, pinSlow, poolCleanup at GC), the pool's New running hot or dominating " +
		"allocations under Pool.Get, and pool locks in mutex profiles. Culprit: the pool's user and its New; when " +
		"forced collections empty the pools, the forcing caller. Shares need enough samples; below that it says so.",
	Version:  "2",
	Requires: []*analyze.Analyzer{cpu.Analyzer, pprofs.Analyzer},
	// gc_stw says whether explicit collections drive the GC; without its
	// result the pool's own signals still speak.
	After: []*analyze.Analyzer{gcstw.Analyzer},
	Run:   run,
}

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

func run(pass *analyze.Pass) (any, error) {
	prof := cpu.ProfileOf(pass)
	var g gathered
	g.fromCPU(prof)
	g.fromContention(pass)
	g.fromAllocs(pass)
	if len(g.families) == 0 {
		return nil, nil
	}
	f := g.finding()
	if gc := gcstw.Of(pass); gc != nil && gc.Driver == gcstw.DriverForced {
		g.forcedFlush(&f, gc)
	}
	pass.Report(f)
	return nil, nil
}

// finding turns what was gathered into the pool finding.
func (g *gathered) finding() analyze.Finding {
	f := analyze.Finding{ID: "syncpool_contention/pool", Severity: g.sev, Impact: analyze.Round(min(1, g.impact)), Evidence: g.ev, Stacks: g.stacks,
		Summary: "Signals from " + strings.Join(g.families, ", ") + "."}
	if len(g.missing) > 0 {
		f.Summary += " Not judged for want of data: " + analyze.JoinBases(g.missing) + "."
	}
	switch {
	case g.sev == analyze.Info && !g.judged && len(g.missing) > 0:
		in := analyze.Insufficient("syncpool_contention", g.missing...)
		in.Evidence = g.ev
		return in
	case g.sev == analyze.Info:
		f.Title = "sync.Pool use within normal bounds"
		f.Confidence = 0.9
	default:
		f.Cause = analyze.CauseSyncPoolContention
		f.Culprit = g.culprit
		f.Title = "sync.Pool contention: Gets miss the per-P cache and take the slow path"
		if g.culprit != nil {
			f.Title += " in " + g.culprit.Function
		}
		if g.newFn != "" {
			f.Summary += " The pool's New (" + g.newFn + ") runs hot."
		}
		if g.newHot {
			// Misses make New allocate, and every GC empties the pools
			// (poolCleanup), which makes New run again: the pool drives the
			// collector, not the other way round.
			f.Explains = []string{analyze.CauseGCSTW}
		}
		f.Confidence = min(0.95, 0.65+0.1*float64(len(g.families)-1))
		if g.sev == analyze.Critical {
			f.Confidence = min(0.95, f.Confidence+0.1)
		}
		f.Remedy = "Get and Put on the same goroutine (a pooled object handed to another goroutine is Put on another P and stolen back through getSlow); " +
			"keep pooled objects small and uniform; avoid pooling objects that live across GC cycles (poolCleanup empties pools at every GC); " +
			"for hand-off between goroutines use a buffered channel as a free list instead."
	}
	return f
}
