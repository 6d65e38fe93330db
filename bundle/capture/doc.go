// Package capture takes everything worth having from a live, misbehaving Go
// process — its executable, perf samples, pprof profiles, an execution
// trace, gctrace lines, /proc state, kallsyms and finally a core — into a
// staging directory beside the destination, then ingests it into one
// incident archive with the same code path as `coroner ingest`.
//
// Every step has a timeout and records its outcome; one failed step never
// stops the others, and a target that dies mid-capture still yields an
// archive of what was captured, marked partial.
//
// It writes its archive through bundle/ingest; cmd/coroner and the corpus
// import it, no reader does.
package capture
