package lockwait

import (
	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/internal/stacks"
	"github.com/coroner/coroner/bundle/goroutines"
)

// CensusSource is implemented by analyzer results that hold goroutine
// censuses (the goroutines analyzer's, from cores); lock_wait reads the
// ones its pass can see.
type CensusSource interface {
	Censuses() []*goroutines.Census
}

// Censuses returns the censuses of the pass's prerequisites that provide
// them.
func Censuses(pass *analyze.Pass) []*goroutines.Census {
	var out []*goroutines.Census
	for _, r := range append(append([]*analyze.Analyzer(nil), pass.Analyzer.Requires...), pass.Analyzer.After...) {
		if cs, ok := pass.ResultOf(r).(CensusSource); ok {
			out = append(out, cs.Censuses()...)
		}
	}
	return out
}

// semaphoreSites returns the user frames whose goroutines the censuses
// show blocked acquiring a semaphore channel (goroutines.Goroutine's
// Semaphore, from cores).
func semaphoreSites(cs []*goroutines.Census) map[string]bool {
	out := map[string]bool{}
	for _, c := range cs {
		for i := range c.Goroutines {
			g := &c.Goroutines[i]
			if !g.Semaphore {
				continue
			}
			st := stacks.FromGoroutine(g.Frames)
			if u := stacks.FirstUser(st, 0); u >= 0 {
				out[st[u].Func] = true
			}
		}
	}
	return out
}
