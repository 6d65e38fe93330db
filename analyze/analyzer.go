// Package analyze is coroner's analyzer framework: declared analyzers with
// dependencies, a pass that is their only way to the archive's artifacts,
// and a runner that orders them, runs independent ones in parallel and turns
// failures into findings about the analysis itself.
package analyze

import (
	"context"
	"fmt"
	"io"
	"reflect"

	"github.com/coroner/coroner/bundle"
)

// Analyzer is one self-describing unit of analysis.
type Analyzer struct {
	// Name is unique, snake_case, and stable: it appears in finding IDs,
	// --only/--skip flags and JSON results.
	Name string
	// Doc describes the analyzer as x/tools' analyzers do: a title line
	// of at most 60 characters, then a blank line and paragraphs. --help
	// shows it whole.
	Doc string
	// Version changes whenever the analyzer's rules change, so a re-analysis
	// can tell which results a newer analyzer may judge differently.
	Version string
	// Requires lists analyzers whose results Run reads via Pass.ResultOf.
	Requires []*Analyzer
	// After lists analyzers that must finish first although Run does not
	// need their results: their failure does not skip this analyzer.
	After []*Analyzer
	// RunsLast orders the analyzer after every other analyzer of the set
	// it runs in, as if After listed them all, so it sees all their
	// findings (the verdict). No analyzer may require one.
	RunsLast bool
	// Inputs are the artifact kinds Run reads, and how. The pass offers
	// only these; Seekable derives from them which members a run needs
	// as files on disk.
	Inputs []Input
	// ResultType is the type of the value Run returns (nil if it returns
	// none). A result of another type is an internal error, so typed
	// accessors such as cpu.ProfileOf never see a wrong one.
	ResultType reflect.Type
	// Internal marks an analyzer that only serves those that require it,
	// such as the pprof decoder that reads every profile once for the
	// analyzers of profiles (x/tools' inspect analyzer plays that part
	// for its passes). It runs when an analyzer that runs requires it, but
	// is no analysis of its own: sets such as analyze/all do not list it,
	// Options.Only and Options.Skip cannot name it, and the result has no
	// Run record of it (should it fail, the finding about the analysis
	// and its dependents' "failed prerequisites" say so).
	Internal bool
	// Offloaded marks an analyzer whose Run mostly waits for a worker
	// process (the core census): it starts without taking one of the
	// runner's CPU slots, so the child's work overlaps the in-process
	// analyzers instead of queueing behind them.
	Offloaded bool
	// Run analyzes and returns a result for dependents (may be nil).
	Run func(*Pass) (any, error)
}

// Source is an opened incident archive as analyzers see it.
type Source interface {
	// Manifest returns the archive's manifest.
	Manifest() *bundle.Manifest
	// Open streams one artifact's bytes.
	Open(a bundle.Artifact) (io.ReadCloser, error)
	// Path returns a seekable file holding the artifact, extracting it to a
	// cache directory when needed.
	Path(a bundle.Artifact) (string, error)
}

// Pass is what an analyzer's Run receives: the archive, its prerequisites'
// results, and a way to report findings.
type Pass struct {
	Analyzer *Analyzer
	src      Source
	// Context carries the analyzer's time budget.
	Context context.Context
	// Force is Options.Force: go on where the analyzer would otherwise
	// refuse (e.g. mismatched build IDs).
	Force bool
	// DebugBinary is Options.DebugBinary.
	DebugBinary string

	findings func() []Finding

	results map[*Analyzer]any
	report  func(Finding)
	used    func(path string)
	warn    func(msg string)
}

// NewPass builds a pass; the runner uses it, and tests use it to drive one
// analyzer directly.
func NewPass(ctx context.Context, a *Analyzer, src Source, results map[*Analyzer]any,
	report func(Finding), used func(string), warn func(string)) *Pass {
	return &Pass{Analyzer: a, src: src, Context: ctx, results: results, report: report, used: used, warn: warn}
}

// Manifest returns the archive's manifest.
func (p *Pass) Manifest() *bundle.Manifest { return p.src.Manifest() }

// Artifacts lists the archive's artifacts of kind k, which the analyzer
// must declare among its Inputs.
func (p *Pass) Artifacts(k bundle.Kind) []bundle.Artifact {
	p.mustDeclare(k)
	return p.src.Manifest().ArtifactsOf(k)
}

// Open streams artifact a, of a kind the analyzer declares.
func (p *Pass) Open(a bundle.Artifact) (io.ReadCloser, error) {
	p.mustDeclare(a.Kind)
	return p.src.Open(a)
}

// Path returns a seekable file holding artifact a, of a kind the analyzer
// declares it may read by seeking (Input.Seeks set; whether it does for a
// given artifact of an archive is what Seekable plans extraction by).
func (p *Pass) Path(a bundle.Artifact) (string, error) {
	p.mustDeclare(a.Kind)
	for _, in := range p.Analyzer.Inputs {
		if in.Kind == a.Kind && in.Seeks != nil {
			return p.src.Path(a)
		}
	}
	panic(fmt.Sprintf("analyzer %q seeks in %s without declaring it in Inputs", p.Analyzer.Name, a.Path))
}

// Archive returns the incident archive when the source is one, so that a
// member can be read where it lies (bundle.Archive.OpenMember) instead of
// extracted.
func (p *Pass) Archive() (*bundle.Archive, bool) {
	a, ok := p.src.(*bundle.Archive)
	return a, ok
}

// mustDeclare panics (which the runner reports as the analyzer's internal
// error) when the analyzer reads a kind it did not declare: its
// declaration is the whole contract.
func (p *Pass) mustDeclare(k bundle.Kind) {
	if !p.Analyzer.declares(k) {
		panic(fmt.Sprintf("analyzer %q reads %s artifacts without declaring them in Inputs", p.Analyzer.Name, k))
	}
}

// Artifact returns the first artifact of kind k.
func (p *Pass) Artifact(k bundle.Kind) (bundle.Artifact, bool) {
	as := p.Artifacts(k)
	if len(as) == 0 {
		return bundle.Artifact{}, false
	}
	return as[0], true
}

// ResultOf returns the result of an analyzer this one requires or runs
// after (nil if it failed or did not run). Packages wrap it in typed
// accessors (cpu.ProfileOf), which the runner's ResultType check keeps
// from ever seeing a value of another type.
func (p *Pass) ResultOf(a *Analyzer) any { return p.results[a] }

// Findings returns the findings reported so far by the analyzers this one
// requires or runs after (all of them, for an analyzer ordered after the
// whole set), already stamped and sorted.
func (p *Pass) Findings() []Finding {
	if p.findings == nil {
		return nil
	}
	return p.findings()
}

// Report records a finding; the runner fills in analyzer name and version.
func (p *Pass) Report(f Finding) { p.report(f) }

// Used records that the analyzer drew signal from the artifact at path.
func (p *Pass) Used(path string) {
	if p.used != nil {
		p.used(path)
	}
}

// Warn records a non-fatal problem met while analyzing (e.g. a damaged
// artifact that was skipped).
func (p *Pass) Warn(msg string) {
	if p.warn != nil {
		p.warn(msg)
	}
}
