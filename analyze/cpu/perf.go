package cpu

import (
	"fmt"

	"github.com/google/pprof/profile"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/perfdata"
)

// perfProfile is the target process of a perf.data recording converted
// to a pprof profile, and what else the recording held.
type perfProfile struct {
	path       string
	profile    *profile.Profile
	neighbours *Neighbours
}

// loadPerf converts the archive's perf.data recordings, symbolizing user
// frames with the archive's binaries (matched by build ID, else by the
// name they had) and kernel frames with its kallsyms. Only the samples of
// each recording's target process are kept: the process running one of
// the archive's Go binaries, else the Go process with the most samples.
func loadPerf(pass *analyze.Pass) []perfProfile {
	recs := pass.Artifacts(bundle.KindPerfData)
	if len(recs) == 0 {
		return nil
	}
	var o perfdata.Options
	for _, k := range []bundle.Kind{bundle.KindGoBinary, bundle.KindELF} {
		for _, a := range pass.Artifacts(k) {
			p, err := pass.Path(a)
			if err != nil {
				pass.Warn(err.Error())
				continue
			}
			o.AddBinary(p, a.Attrs["build_id"], append([]string{a.Original}, a.Also...), k == bundle.KindGoBinary)
		}
	}
	if a, ok := pass.Artifact(bundle.KindKallsyms); ok {
		if p, err := pass.Path(a); err == nil {
			o.Kallsyms = p
			pass.Used(a.Path)
		} else {
			pass.Warn(err.Error())
		}
	}
	var out []perfProfile
	for _, a := range recs {
		if err := pass.Context.Err(); err != nil {
			return out
		}
		agg, err := aggregatePerf(pass, a, o)
		if err != nil {
			pass.Warn(err.Error())
			continue
		}
		for _, w := range agg.Warnings {
			pass.Warn(a.Path + ": " + w)
		}
		pr, err := agg.TargetOnly().Profile()
		if err != nil {
			pass.Warn(a.Path + ": " + err.Error())
			continue
		}
		pp := perfProfile{path: a.Path, profile: pr}
		if n, ok := neighboursOf(a.Path, agg); ok {
			pp.neighbours = &n
		} else if agg.Target.Whole && len(agg.Processes) > 1 {
			pass.Warn(fmt.Sprintf("%s: %d processes, %s", a.Path, len(agg.Processes), agg.Target.Rule))
		}
		out = append(out, pp)
	}
	return out
}

// aggregatePerf reads perf.data artifact a: where it lies in the archive
// when the source is one (a recording of tens of MiB then needs no copy
// on disk), else from its file.
func aggregatePerf(pass *analyze.Pass, a bundle.Artifact, o perfdata.Options) (*perfdata.Aggregate, error) {
	if ar, ok := pass.Archive(); ok {
		if m, err := ar.OpenMemberForward(a); err == nil {
			defer m.Close()
			return perfdata.AggregateAt(m, m.Size(), a.Path, o)
		}
	}
	p, err := pass.Path(a)
	if err != nil {
		return nil, err
	}
	agg, err := perfdata.AggregateFile(p, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Path, err)
	}
	return agg, nil
}
