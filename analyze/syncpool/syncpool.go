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
