package cpu

import (
	"github.com/google/pprof/profile"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
)

// perfProfile is a perf.data recording converted to a pprof profile.
type perfProfile struct {
	path    string
	profile *profile.Profile
}

// loadPerf converts the archive's perf.data recordings.
func loadPerf(pass *analyze.Pass) []perfProfile {
	var out []perfProfile
	for _, a := range pass.Artifacts(bundle.KindPerfData) {
		pass.Warn(a.Path + ": perf.data conversion is not available in this build; recording ignored")
	}
	return out
}
