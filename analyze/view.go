package analyze

// Contributor is implemented by analyzer results that fill a part of the
// Result beyond findings: the CPU flame graph, the GC pause timeline, the
// goroutine groups, the verdict. The runner calls ContributeTo once per
// successful analyzer, in dependency order, after all analyzers finished.
type Contributor interface {
	ContributeTo(r *Result)
}
