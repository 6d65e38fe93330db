package analyzetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/coroner/coroner/analyze"
)

// Run executes set over src with default options and fails the test on a
// framework error.
func Run(t testing.TB, src analyze.Source, set ...*analyze.Analyzer) *analyze.Result {
	t.Helper()
	r, err := analyze.Execute(context.Background(), src, set, analyze.Options{})
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	for _, run := range r.Analyzers {
		if run.Status != analyze.StatusOK {
			t.Logf("analyzer %s: %s %s", run.Name, run.Status, run.Error)
		}
	}
	return r
}

// FindingsOf returns the findings of the named analyzer.
func FindingsOf(r *analyze.Result, name string) []analyze.Finding {
	var out []analyze.Finding
	for _, f := range r.Findings {
		if f.Analyzer == name {
			out = append(out, f)
		}
	}
	return out
}

// OnlyFinding runs a (and its requirements) over files, fails the test
// unless a reports exactly one finding, logs it and returns it.
func OnlyFinding(t testing.TB, files []File, a *analyze.Analyzer) analyze.Finding {
	t.Helper()
	got := FindingsOf(Run(t, Source(t, files), a), a.Name)
	if len(got) != 1 {
		t.Fatalf("%s findings %+v", a.Name, got)
	}
	LogFinding(t, got[0])
	return got[0]
}

// LogFinding logs a finding with its evidence and stacks, so a test's -v
// output shows what an analyzer concluded and why.
func LogFinding(t testing.TB, f analyze.Finding) {
	t.Helper()
	t.Logf("%s [%v %.2f] culprit %v: %s", f.Title, f.Severity, f.Confidence, f.Culprit, f.Summary)
	for _, e := range f.Evidence {
		th := "-"
		if e.Threshold != nil {
			th = fmt.Sprint(*e.Threshold)
		}
		t.Logf("  %s=%v (threshold %s) %s", e.Metric, e.Value, th, e.Artifact)
	}
	for _, st := range f.Stacks {
		t.Logf("  stack: %s", st.Title)
	}
}

// Worst returns the highest severity among the named analyzer's findings
// and whether it had any.
func Worst(r *analyze.Result, name string) (analyze.Severity, bool) {
	fs := FindingsOf(r, name)
	if len(fs) == 0 {
		return analyze.Info, false
	}
	w := fs[0].Severity
	for _, f := range fs {
		w = max(w, f.Severity)
	}
	return w, true
}
