package cpu

import (
	"github.com/google/pprof/profile"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/perfdata"
)

// perfProfile is a perf.data recording converted to a pprof profile.
type perfProfile struct {
	path    string
	profile *profile.Profile
}

// loadPerf converts the archive's perf.data recordings, symbolizing user
// frames with the archive's binaries (matched by build ID, else by the
// name they had) and kernel frames with its kallsyms.
func loadPerf(pass *analyze.Pass) []perfProfile {
	recs := pass.Artifacts(bundle.KindPerfData)
	if len(recs) == 0 {
		return nil
	}
	binaries := map[string]string{}
	for _, k := range []bundle.Kind{bundle.KindGoBinary, bundle.KindELF} {
		for _, a := range pass.Artifacts(k) {
			p, err := pass.Source.Path(a)
			if err != nil {
				pass.Warn(err.Error())
				continue
			}
			for _, key := range []string{a.Attrs["build_id"], a.Original} {
				if key != "" {
					binaries[key] = p
				}
			}
			for _, also := range a.Also {
				binaries[also] = p
			}
		}
	}
	kallsyms := ""
	if a, ok := pass.Artifact(bundle.KindKallsyms); ok {
		if p, err := pass.Source.Path(a); err == nil {
			kallsyms = p
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
		p, err := pass.Source.Path(a)
		if err != nil {
			pass.Warn(err.Error())
			continue
		}
		pr, warns, err := perfdata.ToProfile(p, binaries, kallsyms)
		for _, w := range warns {
			pass.Warn(a.Path + ": " + w)
		}
		if err != nil {
			pass.Warn(a.Path + ": " + err.Error())
			continue
		}
		out = append(out, perfProfile{path: a.Path, profile: pr})
	}
	return out
}
