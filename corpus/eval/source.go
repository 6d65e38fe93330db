package main

import (
	"fmt"
	"io"
	"strconv"

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
	{"log", []bundle.Kind{bundle.KindLog, bundle.KindGoBinary}},
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
	analyze.CauseGCSTW:              {"pprof", "perf", "trace", "gctrace", "log"},
	analyze.CauseNetpollSpin:        {"pprof", "perf", "trace"},
	analyze.CauseSyncPoolContention: {"pprof", "perf"},
	analyze.CauseLockWait:           {"pprof", "trace", "dump", "core"},
	analyze.CauseCrash:              {"dump", "core", "log"},
	analyze.CauseDeadlock:           {"core"},
	analyze.CauseNone:               {"pprof", "perf", "trace", "gctrace", "dump", "core", "log"},
}

// reduced is a source showing only some artifacts of an archive.
type reduced struct {
	analyze.Source
	m *bundle.Manifest
	// log lists the artifacts joined into the service log, in order.
	log []bundle.Artifact
}

// reduce keeps the artifacts of the family's kinds; ok is false when the
// archive has none of the family's primary kind.
func reduce(src analyze.Source, f family) (analyze.Source, bool) {
	if f.name == "log" {
		return reduceToLog(src, f)
	}
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

func (r *reduced) Open(a bundle.Artifact) (io.ReadCloser, error) {
	if a.Path == serviceLog && r.log != nil {
		return r.openLog()
	}
	return r.Source.Open(a)
}

func (r *reduced) Path(a bundle.Artifact) (string, error) { return r.Source.Path(a) }

// serviceLog is the path of the log a "log" reduction makes up.
const serviceLog = "artifacts/log/service.log"

// reduceToLog reduces an incident to what a ticket most often carries:
// the binary and the service's log. A capture stores the service's stderr
// split in two — its gctrace lines, and the rest (the crash output) — so
// the log is made again from them: gctrace logs, then goroutine dumps that
// hold a crash or SIGQUIT output, then any service log, each ending in a
// newline. It is read as a stream, as from a source without random
// access. ok is false when the archive holds none of them.
func reduceToLog(src analyze.Source, f family) (analyze.Source, bool) {
	m := *src.Manifest()
	m.Artifacts = nil
	var parts []bundle.Artifact
	for _, k := range []bundle.Kind{bundle.KindGCTrace, bundle.KindGoroutineDump, bundle.KindLog} {
		for _, a := range src.Manifest().ArtifactsOf(k) {
			if k != bundle.KindGoroutineDump || a.Attrs["crash"] != "" {
				parts = append(parts, a)
			}
		}
	}
	for _, a := range src.Manifest().Artifacts {
		if a.Kind == bundle.KindGoBinary {
			m.Artifacts = append(m.Artifacts, a)
		}
	}
	var size int64
	for _, a := range parts {
		size += a.Size + 1
	}
	m.Artifacts = append(m.Artifacts, bundle.Artifact{Path: serviceLog, Kind: bundle.KindLog, Size: size, Original: "service.log",
		Attrs: map[string]string{"log_format": "plain", "parts": strconv.Itoa(len(parts))}})
	return &reduced{Source: src, m: &m, log: parts}, len(parts) > 0
}

// openLog streams the parts of the made-up log, a newline after each (a
// part ending without one would otherwise run into the next).
func (r *reduced) openLog() (io.ReadCloser, error) {
	var rs []io.Reader
	var cs []io.Closer
	for _, a := range r.log {
		rc, err := r.Source.Open(a)
		if err != nil {
			for _, c := range cs {
				c.Close()
			}
			return nil, fmt.Errorf("%s: %w", a.Path, err)
		}
		rs = append(rs, rc, newline{})
		cs = append(cs, rc)
	}
	return &joined{Reader: io.MultiReader(rs...), closers: cs}, nil
}

// newline reads as one "\n".
type newline struct{}

func (newline) Read(p []byte) (int, error) { return copy(p, "\n"), io.EOF }

// joined closes every part it read.
type joined struct {
	io.Reader
	closers []io.Closer
}

func (j *joined) Close() error {
	var first error
	for _, c := range j.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
