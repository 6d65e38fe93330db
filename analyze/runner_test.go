package analyze_test

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
)

// src is a source with an empty manifest: the framework tests are about
// scheduling, not artifacts.
type src struct{ m bundle.Manifest }

func (s *src) Manifest() *bundle.Manifest { return &s.m }
func (s *src) Open(a bundle.Artifact) (io.ReadCloser, error) {
	return nil, errors.New(a.Path + ": not stored")
}
func (s *src) Path(a bundle.Artifact) (string, error) { return "", errors.New(a.Path + ": not stored") }

func an(name string, run func(*analyze.Pass) (any, error), req ...*analyze.Analyzer) *analyze.Analyzer {
	return &analyze.Analyzer{Name: name, Doc: "test analyzer " + name, Version: "1", Requires: req, Run: run}
}

func ok(v any) func(*analyze.Pass) (any, error) {
	return func(*analyze.Pass) (any, error) { return v, nil }
}

func TestValidate(t *testing.T) {
	a := an("a", ok(nil))
	b := an("b", ok(nil), a)
	a.Requires = []*analyze.Analyzer{b}
	if err := analyze.Validate([]*analyze.Analyzer{a}); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: got %v", err)
	}
	x1, x2 := an("x", ok(nil)), an("x", ok(nil))
	if err := analyze.Validate([]*analyze.Analyzer{x1, x2}); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("duplicate: got %v", err)
	}
	nodoc := an("n", ok(nil))
	nodoc.Doc = " "
	if err := analyze.Validate([]*analyze.Analyzer{nodoc}); err == nil || !strings.Contains(err.Error(), "no Doc") {
		t.Errorf("doc: got %v", err)
	}
	if err := analyze.Validate([]*analyze.Analyzer{an("fine", ok(nil), an("dep", ok(nil)))}); err != nil {
		t.Errorf("valid set rejected: %v", err)
	}
}

func TestExecuteResultsFlowAndStamp(t *testing.T) {
	base := an("base", ok(41))
	top := an("top", func(p *analyze.Pass) (any, error) {
		v := p.ResultOf(base).(int)
		p.Used("artifacts/pprof/cpu.pb.gz")
		p.Report(analyze.Finding{Title: "Answer is 42!", Severity: analyze.Warning, Confidence: 0.5})
		return v + 1, nil
	}, base)
	base.ResultType, top.ResultType = reflect.TypeFor[int](), reflect.TypeFor[int]()
	r, err := analyze.Execute(context.Background(), &src{}, []*analyze.Analyzer{top}, analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Analyzers) != 2 || r.Analyzers[0].Name != "base" || r.Analyzers[1].Name != "top" {
		t.Fatalf("runs = %+v, want base then top", r.Analyzers)
	}
	if got := r.Analyzers[1].Used; len(got) != 1 || got[0] != "artifacts/pprof/cpu.pb.gz" {
		t.Errorf("used = %v", got)
	}
	if len(r.Findings) != 1 {
		t.Fatalf("findings = %+v", r.Findings)
	}
	f := r.Findings[0]
	if f.Analyzer != "top" || f.Version != "1" || f.ID != "top/answer-is-42" {
		t.Errorf("finding not stamped: %+v", f)
	}
}

func TestExecuteFailuresBecomeFindings(t *testing.T) {
	boom := an("boom", func(*analyze.Pass) (any, error) { panic("kaboom") })
	bad := an("bad", func(*analyze.Pass) (any, error) { return nil, errors.New("broken input") })
	slow := an("slow", func(p *analyze.Pass) (any, error) {
		<-p.Context.Done()
		return nil, p.Context.Err()
	})
	stuck := an("stuck", func(p *analyze.Pass) (any, error) {
		time.Sleep(2 * time.Second) // ignores its context on purpose
		p.Report(analyze.Finding{Title: "late"})
		return nil, nil
	})
	dep := an("dep", ok(nil), boom, bad)
	fine := an("fine", func(p *analyze.Pass) (any, error) {
		p.Report(analyze.Finding{Title: "still here", Severity: analyze.Info})
		return nil, nil
	})
	r, err := analyze.Execute(context.Background(), &src{}, []*analyze.Analyzer{dep, slow, stuck, fine},
		analyze.Options{Budget: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]analyze.Run{}
	for _, run := range r.Analyzers {
		status[run.Name] = run
	}
	want := map[string]string{"boom": "failed", "bad": "failed", "dep": "skipped", "slow": "timeout", "stuck": "timeout", "fine": "ok"}
	for n, s := range want {
		if status[n].Status != s {
			t.Errorf("%s: status %q (%s), want %q", n, status[n].Status, status[n].Error, s)
		}
	}
	if e := status["dep"].Error; e != "failed prerequisites: boom, bad" {
		t.Errorf("dep error = %q", e)
	}
	if !strings.Contains(status["boom"].Error, "panic: kaboom") {
		t.Errorf("boom error = %q", status["boom"].Error)
	}
	var analysis []string
	for _, f := range r.Findings {
		if f.Analyzer == analyze.AnalysisName {
			if f.Severity != analyze.Warning {
				t.Errorf("%s: severity %v", f.ID, f.Severity)
			}
			analysis = append(analysis, f.ID)
		}
		if f.Title == "late" {
			t.Errorf("finding reported after the budget expired was kept")
		}
	}
	wantIDs := "analysis/bad-failed analysis/boom-failed analysis/slow-timeout analysis/stuck-timeout"
	if got := strings.Join(analysis, " "); got != wantIDs {
		t.Errorf("analysis findings = %s, want %s", got, wantIDs)
	}
	if r.Findings[len(r.Findings)-1].Title != "still here" {
		t.Errorf("info finding not last: %+v", r.Findings)
	}
}

func TestExecuteOnlySkipAndParallel(t *testing.T) {
	var running, peak atomic.Int32
	par := func(p *analyze.Pass) (any, error) {
		n := running.Add(1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
		running.Add(-1)
		return nil, nil
	}
	a, b := an("a", par), an("b", par)
	c := an("c", ok(nil), a)
	set := []*analyze.Analyzer{a, b, c}
	r, err := analyze.Execute(context.Background(), &src{}, set, analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Analyzers) != 3 {
		t.Fatalf("runs: %+v", r.Analyzers)
	}
	if peak.Load() < 2 && testing.Short() == false {
		t.Logf("independent analyzers did not overlap (GOMAXPROCS=1?)")
	}
	r, err = analyze.Execute(context.Background(), &src{}, set, analyze.Options{Only: []string{"c"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(r); got != "a c" {
		t.Errorf("--only c ran %q, want a c", got)
	}
	r, err = analyze.Execute(context.Background(), &src{}, set, analyze.Options{Skip: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range r.Analyzers {
		if (run.Name == "a" || run.Name == "c") != (run.Status == analyze.StatusSkipped) {
			t.Errorf("--skip a: %s is %s", run.Name, run.Status)
		}
	}
	if _, err := analyze.Execute(context.Background(), &src{}, set, analyze.Options{Only: []string{"nope"}}); err == nil {
		t.Error("unknown analyzer accepted")
	}
}

func TestExecuteAfterSeesFindings(t *testing.T) {
	a := an("a", func(p *analyze.Pass) (any, error) {
		p.Report(analyze.Finding{Title: "x", Severity: analyze.Critical})
		return nil, nil
	})
	b := an("b", func(*analyze.Pass) (any, error) { return nil, errors.New("no") })
	var seen int
	last := an("last", func(p *analyze.Pass) (any, error) { seen = len(p.Findings()); return nil, nil })
	last.After = []*analyze.Analyzer{a, b}
	r, err := analyze.Execute(context.Background(), &src{}, []*analyze.Analyzer{a, b, last}, analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Analyzers[2].Status != analyze.StatusOK || seen != 1 {
		t.Errorf("last: %+v, saw %d findings", r.Analyzers[2], seen)
	}
}

func names(r *analyze.Result) string {
	var s []string
	for _, run := range r.Analyzers {
		s = append(s, run.Name)
	}
	return strings.Join(s, " ")
}

// TestContract: a result of another type than declared, a read of an
// undeclared kind and a seek in a streamed kind are internal errors of the
// analyzer, and its dependents are skipped; one that runs last sees every
// other analyzer's findings without listing them.
func TestContract(t *testing.T) {
	wrong := an("wrong", ok("text"))
	wrong.ResultType = reflect.TypeFor[int]()
	dependent := an("dependent", ok(nil), wrong)
	undeclared := an("undeclared", func(p *analyze.Pass) (any, error) {
		p.Artifacts(bundle.KindCore)
		return nil, nil
	})
	streamed := an("streamed", func(p *analyze.Pass) (any, error) {
		_, err := p.Path(bundle.Artifact{Path: "artifacts/pprof/cpu.pb.gz", Kind: bundle.KindPprof})
		return nil, err
	})
	streamed.Inputs = []analyze.Input{analyze.Streamed(bundle.KindPprof)}
	reporter := an("reporter", func(p *analyze.Pass) (any, error) {
		p.Report(analyze.Finding{Title: "seen", Severity: analyze.Info, Confidence: 1})
		return nil, nil
	})
	var seen int
	last := an("last", func(p *analyze.Pass) (any, error) {
		seen = len(p.Findings())
		return nil, nil
	})
	last.RunsLast = true
	set := []*analyze.Analyzer{last, wrong, dependent, undeclared, streamed, reporter}
	r, err := analyze.Execute(context.Background(), &src{}, set, analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]analyze.Run{}
	for _, a := range r.Analyzers {
		status[a.Name] = a
	}
	for name, want := range map[string]string{"wrong": "returned a string, declared int", "undeclared": "without declaring them in Inputs",
		"streamed": "without declaring it in Inputs"} {
		if a := status[name]; a.Status != analyze.StatusFailed || !strings.Contains(a.Error, want) {
			t.Errorf("%s: %s %q, want failed with %q", name, a.Status, a.Error, want)
		}
	}
	if a := status["dependent"]; a.Status != analyze.StatusSkipped {
		t.Errorf("dependent of a wrongly typed result: %s", a.Status)
	}
	if r.Analyzers[len(r.Analyzers)-1].Name != "last" {
		t.Errorf("order %v: the analyzer that runs last is not last", r.Analyzers)
	}
	// reporter's finding (failures become findings when results are
	// assembled, after every analyzer ran).
	if seen != 1 {
		t.Errorf("the last analyzer saw %d findings, want reporter's", seen)
	}
	req := an("req", ok(nil), last)
	if err := analyze.Validate([]*analyze.Analyzer{req}); err == nil || !strings.Contains(err.Error(), "runs last") {
		t.Errorf("requiring an analyzer that runs last: %v", err)
	}
}
