package pprofs

import (
	"reflect"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
)

// Analyzer decodes the archive's pprof profiles once for every analyzer
// that requires it (cpu, gc_stw, lock_wait, sync_pool, lines), as x/tools'
// inspect analyzer parses once for the passes that require it. It is
// Internal: not in analyze/all's list, not nameable by --only or --skip,
// and without a Run record of its own; it runs whenever one of those does.
// A damaged profile is warned about once, here.
var Analyzer = &analyze.Analyzer{
	Name: "pprof",
	Doc: "decode the archive's pprof profiles once\n\n" +
		"Decodes every pprof profile but the goroutine profiles (the goroutine census reads those) " +
		"through pprofdata's capped reader, and tells what each measures, for the analyzers that require it.",
	Version:    "1",
	Internal:   true,
	Inputs:     []analyze.Input{analyze.Streamed(bundle.KindPprof)},
	ResultType: reflect.TypeFor[*Profiles](),
	Run:        run,
}

// Profiles is the pprof analyzer's result: the decoded profiles in
// manifest order. Its profiles are shared by every analyzer that requires
// it, concurrently: they are read, never modified.
type Profiles struct {
	loaded []Loaded
}

// Of returns the decoded profiles of a pass that requires the pprof
// analyzer (nil if it failed or did not run; a nil *Profiles holds none).
func Of(pass *analyze.Pass) *Profiles {
	ps, _ := pass.ResultOf(Analyzer).(*Profiles)
	return ps
}

// All returns every decoded profile.
func (ps *Profiles) All() []Loaded {
	if ps == nil {
		return nil
	}
	return ps.loaded
}

// OfType returns the decoded profiles of type t.
func (ps *Profiles) OfType(t Type) []Loaded {
	var out []Loaded
	for _, l := range ps.All() {
		if l.Type == t {
			out = append(out, l)
		}
	}
	return out
}

func run(pass *analyze.Pass) (any, error) {
	ps := &Profiles{}
	for _, a := range pass.Artifacts(bundle.KindPprof) {
		if Type(a.Attrs["profile_type"]) == Goroutine {
			continue // the goroutine census decodes these into goroutines
		}
		pr, err := load(pass, a)
		if err != nil {
			pass.Warn(err.Error())
			continue
		}
		ps.loaded = append(ps.loaded, Loaded{Artifact: a, Type: TypeOf(pr, a), Profile: pr})
	}
	return ps, nil
}
