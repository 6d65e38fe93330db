package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/all"
	"github.com/coroner/coroner/analyze/driver"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/worker"
)

// TestMain lets analyzers re-execute the test binary as a worker.
func TestMain(m *testing.M) {
	worker.Main()
	os.Exit(m.Run())
}

var update = flag.Bool("update", false, "rewrite the golden verdicts of the frozen archives")

// golden is the part of a verdict that must not drift silently.
type golden struct {
	Cause            string `json:"cause"`
	Culprit          string `json:"culprit,omitempty"`
	Signature        string `json:"signature"`
	SignatureVersion int    `json:"signature_version"`
	FindingID        string `json:"finding_id,omitempty"`
}

// frozenDirs are the frozen archives' directories per column, relative to
// corpus/testdata; their golden verdicts sit at the same relative place
// under testdata/golden.
var frozenDirs = map[string]string{ColumnCollect: ".", ColumnForeign: "foreign"}

// TestGoldenVerdicts analyzes every frozen corpus archive of each column
// and compares the verdict with testdata/golden/[foreign/]<archive>.json;
// -update rewrites them.
func TestGoldenVerdicts(t *testing.T) {
	t.Setenv("CORONER_CACHE_DIR", t.TempDir())
	for _, col := range []string{ColumnCollect, ColumnForeign} {
		t.Run(col, func(t *testing.T) { testGolden(t, frozenDirs[col]) })
	}
}

func testGolden(t *testing.T, dir string) {
	archives, _ := filepath.Glob(filepath.Join("..", "testdata", dir, "*.tar.zst"))
	if len(archives) == 0 {
		t.Skipf("no frozen archives in corpus/testdata/%s yet", dir)
	}
	for _, path := range archives {
		name := strings.TrimSuffix(filepath.Base(path), ".tar.zst")
		t.Run(name, func(t *testing.T) {
			r, err := driver.Analyze(context.Background(), path, all.Analyzers, analyze.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := golden{Cause: r.Verdict.Cause, Signature: r.Verdict.Signature, SignatureVersion: r.Verdict.SignatureVersion, FindingID: r.Verdict.FindingID}
			if r.Verdict.Culprit != nil {
				got.Culprit = r.Verdict.Culprit.Function
			}
			gp := filepath.Join("testdata", "golden", dir, name+".json")
			if *update {
				b, _ := json.MarshalIndent(got, "", "  ")
				if err := os.MkdirAll(filepath.Dir(gp), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(gp, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(gp)
			if err != nil {
				t.Fatalf("%v (run go test ./corpus/eval -update after checking the verdict)", err)
			}
			var want golden
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("verdict drifted:\n got  %+v\n want %+v", got, want)
			}
		})
	}
}

// TestEvaluateFrozen runs the whole evaluation (make eval) over the frozen
// archives of both columns, single-family reductions included: every row
// must pass. It runs every analyzer on each archive several times, so it
// is long (CORONER_LONG=1).
func TestEvaluateFrozen(t *testing.T) {
	if os.Getenv("CORONER_LONG") != "1" {
		t.Skip("long: set CORONER_LONG=1 (or run make eval)")
	}
	var cols []Column
	for _, c := range []string{ColumnCollect, ColumnForeign} {
		dir := filepath.Join("..", "testdata", frozenDirs[c])
		if m, _ := filepath.Glob(filepath.Join(dir, "*.tar.zst")); len(m) > 0 {
			cols = append(cols, Column{Name: c, Dirs: []string{dir}})
		}
	}
	if len(cols) == 0 {
		t.Skip("no frozen archives in corpus/testdata yet")
	}
	t.Setenv("CORONER_CACHE_DIR", t.TempDir())
	rows, err := Evaluate(context.Background(), Config{Columns: cols, Scenarios: filepath.Join("..", "scenarios"), Families: true, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	Print(&sb, rows)
	t.Log("\n" + sb.String())
	for _, r := range rows {
		if !r.Pass() {
			t.Errorf("%s %s [%s]: expected %s, verdict %s, culprit %q named %v, false %v", r.Column, r.Scenario, r.Family, r.Expected, r.Verdict, r.Culprit, r.Named, r.False)
		}
	}
}

func TestOutcome(t *testing.T) {
	for _, c := range []struct {
		r    Row
		want string
	}{
		{Row{Expected: "gc_stw", Verdict: "gc_stw", NeedsName: true, Named: true}, OutcomeRight},
		{Row{Expected: "gc_stw", Verdict: "gc_stw", NeedsName: true}, OutcomeWrong},
		{Row{Expected: "crash", Verdict: "none"}, OutcomeWrong},
		{Row{Expected: "none", Verdict: "lock_wait"}, OutcomeFalseAlarm},
		{Row{Expected: "none", Verdict: "none", False: []string{"gc_stw/gc-pressure"}}, OutcomeFalseAlarm},
		{Row{Expected: "none", Verdict: "none"}, OutcomeRight},
		{Row{Expected: "crash", Absent: true}, OutcomeAbsent},
	} {
		if got := c.r.Outcome(); got != c.want {
			t.Errorf("%+v: Outcome() = %q, want %q", c.r, got, c.want)
		}
	}
}

// TestPrintColumns checks that each column gets its own tables and that
// the per-family summary counts each column's outcomes apart.
func TestPrintColumns(t *testing.T) {
	rows := []Row{
		{Column: ColumnCollect, Scenario: "crash", Family: "all", Expected: "crash", Verdict: "crash"},
		{Column: ColumnCollect, Scenario: "crash", Family: "dump", Expected: "crash", Verdict: "crash"},
		{Column: ColumnForeign, Scenario: "crash", Family: "all", Expected: "crash", Verdict: "none"},
		{Column: ColumnForeign, Scenario: "healthy", Family: "all", Expected: "none", Verdict: "gc_stw"},
		{Column: ColumnForeign, Scenario: "healthy", Family: "dump", Expected: "none", Verdict: "none"},
		{Column: ColumnForeign, Scenario: "crash", Family: "dump", Expected: "crash", Absent: true},
	}
	var sb strings.Builder
	Print(&sb, rows)
	out := sb.String()
	for _, want := range []string{"== column collect: 2 rows", "== column foreign: 4 rows", "collect: 2 of 2 rows pass (0 families absent)", "foreign: 1 of 3 rows pass (1 families absent)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	want := map[string][]string{
		"all":   {"1", "0", "0", "0", "0", "1", "1", "0"},
		"dump":  {"1", "0", "0", "0", "1", "0", "0", "1"},
		"total": {"2", "0", "0", "0", "1", "1", "1", "1"},
	}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 9 && want[f[0]] != nil {
			if got := strings.Join(f[1:], " "); got != strings.Join(want[f[0]], " ") {
				t.Errorf("summary %s: %s, want %s", f[0], got, strings.Join(want[f[0]], " "))
			}
			delete(want, f[0])
		}
	}
	if len(want) > 0 {
		t.Errorf("summary lacks the lines %v:\n%s", want, out)
	}
}

// TestEvaluateEmptyColumn checks that a column without archives is an
// error naming it, not a silently passing evaluation.
func TestEvaluateEmptyColumn(t *testing.T) {
	_, err := Evaluate(context.Background(), Config{Columns: []Column{{Name: ColumnForeign, Dirs: []string{t.TempDir()}}},
		Scenarios: filepath.Join("..", "scenarios"), Log: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "column foreign: no archives") {
		t.Errorf("err = %v, want one naming the empty foreign column", err)
	}
}

func TestRowPass(t *testing.T) {
	for _, c := range []struct {
		r    Row
		want bool
	}{
		{Row{Expected: "gc_stw", Verdict: "gc_stw", NeedsName: true, Named: true}, true},
		{Row{Expected: "gc_stw", Verdict: "gc_stw", NeedsName: true}, false},
		{Row{Expected: "gc_stw", Verdict: "lock_wait", NeedsName: true, Named: true}, false},
		{Row{Expected: "none", Verdict: "none", False: []string{"lock_wait/contention"}}, false},
		{Row{Expected: "none", Verdict: "none"}, true},
		{Row{Expected: "lock_wait", Verdict: "lock_wait", False: []string{"gc_stw/gc-pressure"}}, true},
	} {
		if got := c.r.Pass(); got != c.want {
			t.Errorf("%+v: Pass() = %v", c.r, got)
		}
	}
}

func TestReduce(t *testing.T) {
	src := &fakeSource{m: bundle.Manifest{Artifacts: []bundle.Artifact{
		{Path: "a", Kind: bundle.KindPerfData}, {Path: "b", Kind: bundle.KindGoBinary}, {Path: "c", Kind: bundle.KindPprof}}}}
	r, ok := reduce(src, families[1]) // perf
	if !ok || len(r.Manifest().Artifacts) != 2 {
		t.Errorf("perf reduction: %v %+v", ok, r.Manifest().Artifacts)
	}
	if _, ok := reduce(src, families[2]); ok { // trace
		t.Error("trace reduction of an archive without a trace")
	}
	if len(src.Manifest().Artifacts) != 3 {
		t.Error("reduction changed the original manifest")
	}
}

type fakeSource struct{ m bundle.Manifest }

func (f *fakeSource) Manifest() *bundle.Manifest                  { return &f.m }
func (f *fakeSource) Open(bundle.Artifact) (io.ReadCloser, error) { return nil, os.ErrNotExist }
func (f *fakeSource) Path(bundle.Artifact) (string, error)        { return "", os.ErrNotExist }

// TestReduceToLog: the log reduction joins the gctrace log and the crash
// output, each ending in a newline, into one service log beside the binary.
func TestReduceToLog(t *testing.T) {
	files := map[string]string{"g": "gc 1 @0.01s 1%: x", "d": "panic: boom\n", "q": "goroutine 1 [running]:\n"}
	src := &textSource{fakeSource{m: bundle.Manifest{Artifacts: []bundle.Artifact{
		{Path: "b", Kind: bundle.KindGoBinary}, {Path: "g", Kind: bundle.KindGCTrace, Size: 17},
		{Path: "d", Kind: bundle.KindGoroutineDump, Size: 12, Attrs: map[string]string{"crash": "panic: boom"}},
		{Path: "q", Kind: bundle.KindGoroutineDump, Size: 23}, {Path: "c", Kind: bundle.KindPprof}}}}, files}
	r, ok := reduce(src, families[len(families)-1])
	if !ok {
		t.Fatal("no log reduction")
	}
	as := r.Manifest().Artifacts
	if len(as) != 2 || as[0].Kind != bundle.KindGoBinary || as[1].Kind != bundle.KindLog || as[1].Size != 31 {
		t.Fatalf("artifacts %+v", as)
	}
	rc, err := r.Open(as[1])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "gc 1 @0.01s 1%: x\npanic: boom\n\n" {
		t.Errorf("log %q", b)
	}
}

// textSource serves files by artifact path.
type textSource struct {
	fakeSource
	files map[string]string
}

func (s *textSource) Open(a bundle.Artifact) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(s.files[a.Path])), nil
}
