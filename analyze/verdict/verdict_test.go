package verdict_test

import (
	"context"
	"strings"
	"testing"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/verdict"
	"github.com/coroner/coroner/bundle"
)

// emptySource: the ranking works on findings only.
type emptySource struct{ analyze.Source }

func (emptySource) Manifest() *bundle.Manifest { return &bundle.Manifest{ID: "t"} }

// reporter is an analyzer that reports fixed findings; the verdict's
// inputs are other analyzers' findings, whatever produced them.
func reporter(name string, fs ...analyze.Finding) *analyze.Analyzer {
	return &analyze.Analyzer{Name: name, Doc: "reports " + name, Version: "1", Run: func(p *analyze.Pass) (any, error) {
		for _, f := range fs {
			p.Report(f)
		}
		return nil, nil
	}}
}

func verdictOf(t *testing.T, set ...*analyze.Analyzer) analyze.Verdict {
	t.Helper()
	v := *verdict.Analyzer
	v.After = set
	r, err := analyze.Execute(context.Background(), emptySource{}, append(set, &v), analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r.Verdict
}

func th(v float64) *float64 { return &v }

func TestRanking(t *testing.T) {
	gc := analyze.Finding{ID: "gc_stw/x", Title: "GC", Severity: analyze.Critical, Confidence: 0.9, Impact: 0.1, Cause: analyze.CauseGCSTW,
		Culprit: &analyze.Culprit{Function: "example.com/a.alloc.func2"}, Evidence: []analyze.Evidence{{Metric: "m", Value: 2, Threshold: th(1), Artifact: "artifacts/trace/t"}}}
	spin := analyze.Finding{ID: "netpoll_spin/x", Title: "spin", Severity: analyze.Critical, Confidence: 0.85, Impact: 0.7, Cause: analyze.CauseNetpollSpin,
		Culprit: &analyze.Culprit{Function: "example.com/a.poll"}}
	lock := analyze.Finding{ID: "lock_wait/x", Title: "lock", Severity: analyze.Warning, Confidence: 0.95, Impact: 0.9, Cause: analyze.CauseLockWait}
	info := analyze.Finding{ID: "cpu/x", Title: "cpu", Severity: analyze.Info, Confidence: 1}

	v := verdictOf(t, reporter("a", gc, info), reporter("b", spin), reporter("c", lock))
	if v.Cause != analyze.CauseNetpollSpin || v.FindingID != "netpoll_spin/x" {
		t.Errorf("critical causes ranked by impact: got %s", v.Cause)
	}
	if strings.Join(v.Secondary, " ") != "gc_stw/x lock_wait/x" {
		t.Errorf("secondary %v", v.Secondary)
	}

	crash := analyze.Finding{ID: "crash/x", Title: "panic", Severity: analyze.Critical, Confidence: 0.6, Cause: analyze.CauseCrash,
		Signature: "v1:abcd"}
	v = verdictOf(t, reporter("a", gc), reporter("b", crash))
	if v.Cause != analyze.CauseCrash || v.Signature != "crash:v1:abcd" {
		t.Errorf("a crash outranks statistical causes: %s %s", v.Cause, v.Signature)
	}

	v = verdictOf(t, reporter("a", gc))
	if len(v.Chain) == 0 || !strings.Contains(v.Chain[0], "≥ threshold 1") || !strings.Contains(v.Chain[0], "artifacts/trace/t") {
		t.Errorf("chain %v", v.Chain)
	}
	if !strings.HasPrefix(v.Signature, "gc_stw:example.com/a.alloc#") || v.SignatureVersion != verdict.SignatureVersion {
		t.Errorf("signature %q v%d", v.Signature, v.SignatureVersion)
	}

	twin := spin
	twin.ID, twin.Cause, twin.Impact, twin.Confidence = "syncpool_contention/x", analyze.CauseSyncPoolContention, 0.69, 0.84
	v = verdictOf(t, reporter("a", spin), reporter("b", twin))
	if v.Confidence >= spin.Confidence {
		t.Errorf("two near-equal causes: confidence %.2f not lowered", v.Confidence)
	}

	v = verdictOf(t, reporter("a", info))
	if v.Cause != analyze.CauseNone || v.Severity != analyze.Info || !strings.Contains(v.Headline, "a within normal bounds") {
		t.Errorf("none verdict %+v", v)
	}
}

func TestSignatureStableAcrossBuilds(t *testing.T) {
	mk := func(fn string) string {
		return verdict.Signature(analyze.Finding{Cause: analyze.CauseLockWait, Culprit: &analyze.Culprit{Function: fn}})
	}
	base := mk("example.com/svc.(*Cache[...]).Fill")
	for _, fn := range []string{"example.com/svc.(*Cache[go.shape.int]).Fill", "example.com/svc.(*Cache[...]).Fill.func1", "example.com/svc.(*Cache[...]).Fill.func2.3"} {
		if got := mk(fn); got != base {
			t.Errorf("%s: signature %s, want %s", fn, got, base)
		}
	}
	if mk("example.com/svc.(*Cache).Drop") == base {
		t.Error("different functions share a signature")
	}
}

func TestExplainingCauseLeads(t *testing.T) {
	gc := analyze.Finding{ID: "gc_stw/x", Title: "GC", Severity: analyze.Critical, Confidence: 0.95, Impact: 0.4, Cause: analyze.CauseGCSTW}
	pool := analyze.Finding{ID: "syncpool_contention/x", Title: "pool", Severity: analyze.Warning, Confidence: 0.7, Impact: 0.2,
		Cause: analyze.CauseSyncPoolContention, Explains: []string{analyze.CauseGCSTW}}
	v := verdictOf(t, reporter("a", gc), reporter("b", pool))
	if v.Cause != analyze.CauseSyncPoolContention || len(v.Secondary) != 1 || v.Secondary[0] != "gc_stw/x" {
		t.Errorf("the explaining cause must lead: %s, secondary %v", v.Cause, v.Secondary)
	}
	pool.Explains = nil
	if v := verdictOf(t, reporter("a", gc), reporter("b", pool)); v.Cause != analyze.CauseGCSTW {
		t.Errorf("without the causal link the stronger finding leads: %s", v.Cause)
	}
}

// TestForcedCollectionsLead: forced collections empty a sync.Pool, so its
// New allocates for every Get. The pool finding may weigh more, but the
// collections explain it: the verdict names their cause and the forcing
// caller, and lists the emptied pool as their consequence.
func TestForcedCollectionsLead(t *testing.T) {
	forcer := &analyze.Culprit{Function: "example.com/svc.(*Governor).Trim"}
	gc := analyze.Finding{ID: "gc_stw/gc-pressure", Title: "forced", Severity: analyze.Warning, Confidence: 0.8, Impact: 0.05,
		Cause: analyze.CauseGCSTW, Culprit: forcer, Explains: []string{analyze.CauseSyncPoolContention}}
	pool := analyze.Finding{ID: "syncpool_contention/emptied-by-forced-gc", Title: "emptied", Severity: analyze.Warning, Confidence: 0.9, Impact: 0.3,
		Cause: analyze.CauseSyncPoolContention, Culprit: forcer}
	v := verdictOf(t, reporter("a", gc), reporter("b", pool))
	if v.Cause != analyze.CauseGCSTW || v.Culprit == nil || v.Culprit.Function != forcer.Function {
		t.Fatalf("verdict %s %v, want gc_stw and the forcing caller", v.Cause, v.Culprit)
	}
	if !strings.Contains(strings.Join(v.Chain, "\n"), "explains syncpool_contention/emptied-by-forced-gc") || v.Confidence != 0.8 {
		t.Errorf("chain %q confidence %v", v.Chain, v.Confidence)
	}
	// Two findings each claiming to explain the other: the ranking stands.
	pool.Explains = []string{analyze.CauseGCSTW}
	if v := verdictOf(t, reporter("a", gc), reporter("b", pool)); v.Cause != analyze.CauseSyncPoolContention {
		t.Errorf("mutual explanations: %s leads, want the higher-impact finding", v.Cause)
	}
}
