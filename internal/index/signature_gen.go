package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/coroner/coroner/analyze"
)

// Shape of GenerateRuns' fleet. The numbers describe a large
// organisation's year: a few thousand distinct bugs, dozens of services
// built by a few Go releases from hundreds of commits on hundreds of hosts.
const (
	genSignatures = 2000
	genModules    = 40
	genGoVersions = 6
	genRevisions  = 500
	genHosts      = 200
	// genDays spreads incidents over a year.
	genDays = 365
	// genReanalysed is the share of archives analysed a second time by an
	// older analyzer set, so "each archive's latest run" has work to do.
	genReanalysed = 0.1
)

// genCauses weights the causes as a fleet sees them: crashes most often,
// then lock convoys and collector pauses.
var genCauses = []string{analyze.CauseCrash, analyze.CauseCrash, analyze.CauseCrash, analyze.CauseLockWait, analyze.CauseLockWait,
	analyze.CauseGCSTW, analyze.CauseDeadlock, analyze.CauseNetpollSpin, analyze.CauseSyncPoolContention, analyze.CauseNone}

// GenerateRuns makes n synthetic runs (deterministic for a given n) with
// the shape of a large fleet's year of incidents, for benchmarks and
// demonstrations of the index: signatures drawn with a long tail (a few
// bugs recur thousands of times, most a handful), every run ending at
// end.
func GenerateRuns(n int, end time.Time) []Run {
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	runs := make([]Run, 0, n)
	for i := 0; len(runs) < n; i++ {
		// u³ puts most draws on the first signatures: a long tail.
		u := rng.Float64()
		sig := int(u * u * u * genSignatures)
		cause := genCauses[sig%len(genCauses)]
		r := Run{
			ArchiveDigest: fmt.Sprintf("%064x", i),
			AnalyzerSet:   "gen-current",
			IncidentID:    fmt.Sprintf("inc-%d", i),
			Cause:         cause,
			Severity:      "critical",
			Confidence:    0.9,
			Culprit:       fmt.Sprintf("example.com/svc%d.(*T).f%d", sig%genModules, sig),
			GoVersion:     fmt.Sprintf("go1.%d.%d", 20+sig%genGoVersions, rng.IntN(8)),
			Module:        fmt.Sprintf("example.com/svc%d", sig%genModules),
			VCSRevision:   fmt.Sprintf("%040x", rng.IntN(genRevisions)),
			Host:          fmt.Sprintf("host-%d", rng.IntN(genHosts)),
			IncidentTime:  end.Add(-time.Duration(rng.Int64N(int64(genDays * 24 * time.Hour)))),
			IndexedAt:     end,
		}
		switch cause {
		case analyze.CauseCrash:
			r.Signature = fmt.Sprintf("crash:v1:%016x", uint64(sig)*0x9e3779b97f4a7c15)
		case analyze.CauseNone:
			r.Signature, r.Severity, r.Culprit = "none", "info", ""
		default:
			r.Signature = fmt.Sprintf("%s:%s#%08x", cause, r.Culprit, uint32(sig*2654435761))
			r.Severity = "warning"
		}
		runs = append(runs, r)
		if len(runs) < n && rng.Float64() < genReanalysed {
			old := r
			old.AnalyzerSet, old.IndexedAt = "gen-previous", end.Add(-time.Hour)
			runs = append(runs, old)
		}
	}
	return runs
}

// genBatch is how many generated runs one transaction adds: large enough
// that 100,000 take seconds, small enough to keep each transaction's
// memory modest.
const genBatch = 5000

// FillGenerated adds GenerateRuns(n, end) to the index unless it holds n
// runs or more already (a kept benchmark index is filled once).
func (d *DB) FillGenerated(ctx context.Context, n int, end time.Time) error {
	have, err := d.Count(ctx)
	if err != nil || have >= n {
		return err
	}
	runs := GenerateRuns(n, end)
	for i := 0; i < len(runs); i += genBatch {
		if err := d.Add(ctx, runs[i:min(i+genBatch, len(runs))]...); err != nil {
			return err
		}
	}
	return nil
}
