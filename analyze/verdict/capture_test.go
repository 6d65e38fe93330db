package verdict_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/analyze/census"
	"github.com/coroner/coroner/analyze/gcstw"
	"github.com/coroner/coroner/analyze/syncpool"
	"github.com/coroner/coroner/analyze/verdict"
)

func TestMain(m *testing.M) {
	analyzetest.Main()
	os.Exit(m.Run())
}

// TestGovernorVerdict: a real process whose memory governor calls
// runtime.GC empties its sync.Pool; the verdict names the governor, what
// a maintainer has to change, not the pool's New.
func TestGovernorVerdict(t *testing.T) {
	files := analyzetest.Capture(t, "governor", 3*time.Second)
	set := []*analyze.Analyzer{gcstw.Analyzer, syncpool.Analyzer, census.Analyzer}
	v := *verdict.Analyzer
	v.After = set
	r := analyzetest.Run(t, analyzetest.Source(t, files), append(set, &v)...)
	for _, f := range r.Findings {
		if f.Analyzer == "gc_stw" || f.Analyzer == "syncpool_contention" {
			analyzetest.LogFinding(t, f)
		}
	}
	t.Logf("verdict %s %v: %s %q", r.Verdict.Cause, r.Verdict.Culprit, r.Verdict.Headline, r.Verdict.Chain)
	if r.Verdict.Cause != analyze.CauseGCSTW || r.Verdict.Culprit == nil || !strings.HasSuffix(r.Verdict.Culprit.Function, "analyzetest.enforceMemoryBudget") {
		t.Errorf("verdict %s %v, want gc_stw with the forcing caller", r.Verdict.Cause, r.Verdict.Culprit)
	}
}
