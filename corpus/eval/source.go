package main

import (
	"io"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
)

// family is a set of artifact kinds that travel together: a reduction of
// an incident to what one kind of capture would have produced.
type family struct {
	name  string
	kinds []bundle.Kind
}

// families are the single-artifact-family reductions. Binaries and
// kallsyms ride along with perf.data and cores, which need them to be read.
var families = []family{
	{"pprof", []bundle.Kind{bundle.KindPprof}},
	{"perf", []bundle.Kind{bundle.KindPerfData, bundle.KindGoBinary, bundle.KindELF, bundle.KindKallsyms}},
	{"trace", []bundle.Kind{bundle.KindTrace}},
	{"gctrace", []bundle.Kind{bundle.KindGCTrace}},
	{"dump", []bundle.Kind{bundle.KindGoroutineDump}},
	{"core", []bundle.Kind{bundle.KindCore, bundle.KindGoBinary}},
}

// carries says which families carry a cause's signal by how the runtime
// exposes it: GC cost shows in CPU samples, traces and gctrace; scheduler
// spinning and pool contention in CPU samples (and, for spinning, the
// trace's wakeups); lock waits in contention profiles, traces and parked
// goroutines; crashes in goroutine dumps and cores. A partial deadlock in a
// live process needs to know which locks are held and that none is ever
// released. Only a core shows the holders (a locked mutex's address stays
// on the stack of the function that will unlock it) together with how long
// the runtime has seen each goroutine blocked; a trace shows waiters never
// woken but not who holds the lock, and a text dump names only what each
// goroutine waits on, with wait times in whole minutes, so a deadlock
// younger than a minute looks like a convoy in either. A healthy incident must stay healthy in
// every family.
var carries = map[string][]string{
	analyze.CauseGCSTW:              {"pprof", "perf", "trace", "gctrace"},
	analyze.CauseNetpollSpin:        {"pprof", "perf", "trace"},
	analyze.CauseSyncPoolContention: {"pprof", "perf"},
	analyze.CauseLockWait:           {"pprof", "trace", "dump", "core"},
	analyze.CauseCrash:              {"dump", "core"},
	analyze.CauseDeadlock:           {"core"},
	analyze.CauseNone:               {"pprof", "perf", "trace", "gctrace", "dump", "core"},
}

// reduced is a source showing only some artifacts of an archive.
type reduced struct {
	analyze.Source
	m *bundle.Manifest
}

// reduce keeps the artifacts of the family's kinds; ok is false when the
// archive has none of the family's primary kind.
func reduce(src analyze.Source, f family) (analyze.Source, bool) {
	m := *src.Manifest()
	m.Artifacts = nil
	primary := false
	keep := map[bundle.Kind]bool{}
	for _, k := range f.kinds {
		keep[k] = true
	}
	for _, a := range src.Manifest().Artifacts {
		if keep[a.Kind] {
			m.Artifacts = append(m.Artifacts, a)
			if a.Kind == f.kinds[0] {
				primary = true
			}
		}
	}
	return &reduced{Source: src, m: &m}, primary
}

func (r *reduced) Manifest() *bundle.Manifest { return r.m }

func (r *reduced) Open(a bundle.Artifact) (io.ReadCloser, error) { return r.Source.Open(a) }

func (r *reduced) Path(a bundle.Artifact) (string, error) { return r.Source.Path(a) }
