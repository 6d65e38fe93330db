// Package all is coroner's full analyzer set: the list the CLI, batch runs
// and the evaluation run (analyze/driver runs a set over an input).
package all

import (
	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/census"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/crash"
	"github.com/coroner/coroner/analyze/deadlock"
	"github.com/coroner/coroner/analyze/gcstw"
	"github.com/coroner/coroner/analyze/inventory"
	"github.com/coroner/coroner/analyze/lines"
	"github.com/coroner/coroner/analyze/lockwait"
	"github.com/coroner/coroner/analyze/netpoll"
	"github.com/coroner/coroner/analyze/syncpool"
	"github.com/coroner/coroner/analyze/traces"
	"github.com/coroner/coroner/analyze/verdict"
	"github.com/coroner/coroner/bundle"
)

// Analyzers is every analyzer, in the order reports list them; the
// verdict declares that it runs last.
var Analyzers = []*analyze.Analyzer{
	inventory.Analyzer,
	cpu.Analyzer,
	traces.Analyzer,
	gcstw.Analyzer,
	netpoll.Analyzer,
	syncpool.Analyzer,
	census.Analyzer,
	crash.Analyzer,
	deadlock.Analyzer,
	lockwait.Analyzer,
	lines.Analyzer,
	verdict.Analyzer,
}

// Seekable reports whether the full set reads artifact a of the archive m
// describes by seeking, as the analyzers' Inputs declare.
func Seekable(m *bundle.Manifest, a bundle.Artifact) bool {
	return analyze.Seekable(Analyzers, m, a)
}
