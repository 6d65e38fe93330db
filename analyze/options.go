package analyze

import "time"

// DefaultBudget is the per-analyzer time budget when Options.Budget is
// zero. The slowest analyzer on the benchmark incident (a census of 100k
// goroutines from a multi-GiB core) finishes well inside it; an analyzer still
// running after it is reported as timed out instead of stalling the report.
const DefaultBudget = 5 * time.Minute

// Options select and bound the analyzers a Run executes.
type Options struct {
	// Only runs just these analyzers (and what they require).
	Only []string
	// Skip leaves these analyzers out; analyzers requiring them are skipped
	// too.
	Skip []string
	// Budget is each analyzer's time budget; zero means DefaultBudget.
	Budget time.Duration
	// Force asks analyzers to go on where they would otherwise refuse, e.g. a
	// core whose executable's build ID does not match the binary.
	Force bool
	// DebugBinary is a debug twin of the archive's stripped executable
	// (analyze --debug-binary): the core census reads with its DWARF.
	DebugBinary string
	// Results, when set, is called after the run once for each analyzer
	// that finished, in execution order, with its result: for callers that
	// take more from a run than the report, such as the profile exports.
	// It stays in this process (a batch worker child does not get it).
	Results func(a *Analyzer, result any) `json:"-"`
}
