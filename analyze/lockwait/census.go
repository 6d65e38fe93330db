package lockwait

import (
	"github.com/coroner/coroner/analyze"
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
