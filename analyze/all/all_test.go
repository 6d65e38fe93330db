package all_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/all"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/analyze/driver"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/ingest"
)

func TestMain(m *testing.M) {
	analyzetest.Main()
	os.Exit(m.Run())
}

// scenario is a workload, the verdict it must get, and the function the
// headline must blame.
type scenario struct {
	workload, cause, culprit string
	// families are the artifact kinds that each carry the signal alone.
	families []bundle.Kind
}

var scenarios = []scenario{
	{"healthy", analyze.CauseNone, "", []bundle.Kind{bundle.KindPprof, bundle.KindTrace, bundle.KindGCTrace}},
	{"gc", analyze.CauseGCSTW, "analyzetest.buildGarbage", []bundle.Kind{bundle.KindPprof}},
	{"netpoll", analyze.CauseNetpollSpin, "analyzetest.pollTinyTimers", []bundle.Kind{bundle.KindPprof, bundle.KindTrace}},
	{"syncpool", analyze.CauseSyncPoolContention, "analyzetest.shareBuffers", []bundle.Kind{bundle.KindPprof}},
	{"lock", analyze.CauseLockWait, "analyzetest.updateSharedMap", []bundle.Kind{bundle.KindPprof, bundle.KindTrace, bundle.KindGoroutineDump}},
}

// stage copies files into a fresh directory, as an incident attachment.
func stage(t *testing.T, files []analyzetest.File) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		b, err := os.ReadFile(f.Disk)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f.Disk)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func check(t *testing.T, dir string, sc scenario) {
	t.Helper()
	t.Setenv("CORONER_CACHE_DIR", t.TempDir())
	r, err := driver.Analyze(context.Background(), dir, all.Analyzers, analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := r.Verdict
	t.Logf("verdict %s [%v %.2f] %s — culprit %v — signature %s", v.Cause, v.Severity, v.Confidence, v.Headline, v.Culprit, v.Signature)
	for _, c := range v.Chain {
		t.Logf("  %s", c)
	}
	for _, run := range r.Analyzers {
		if run.Status != analyze.StatusOK {
			t.Errorf("analyzer %s %s: %s", run.Name, run.Status, run.Error)
		}
	}
	if v.Cause != sc.cause {
		t.Errorf("verdict %s, want %s", v.Cause, sc.cause)
	}
	if sc.culprit != "" && (v.Culprit == nil || !strings.Contains(v.Culprit.Function, sc.culprit)) {
		t.Errorf("culprit %v, want %s", v.Culprit, sc.culprit)
	}
	if sc.cause == analyze.CauseNone {
		for _, f := range r.Findings {
			if f.Severity >= analyze.Warning {
				t.Errorf("healthy: %v finding %s: %s", f.Severity, f.ID, f.Title)
			}
		}
	}
}

func TestVerdicts(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.workload, func(t *testing.T) {
			// Three seconds: CPU shares are judged over at least 100
			// samples, which a loaded machine may not give in one.
			files := analyzetest.Capture(t, sc.workload, 3*time.Second)
			t.Run("all", func(t *testing.T) { check(t, stage(t, files), sc) })
			for _, k := range sc.families {
				t.Run(string(k), func(t *testing.T) { check(t, stage(t, analyzetest.Only(files, k)), sc) })
			}
		})
	}
}

func TestUnreadableInput(t *testing.T) {
	_, err := driver.Analyze(context.Background(), filepath.Join(t.TempDir(), "missing"), all.Analyzers, analyze.Options{})
	var ie *ingest.InputError
	if err == nil || !errorsAs(err, &ie) {
		t.Errorf("missing input: %v", err)
	}
}

// TestIngestCutShort: when the context ends while an input is being
// ingested, the result still comes back, with no analyzer run and a
// warning naming the input, together with the context's error.
func TestIngestCutShort(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "gctrace.log"), []byte("gc 1 @0.012s 2%: 0.010+0.5+0.003 ms clock, 0.04+0.1/0.4/0.9+0.01 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 4 P\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, err := driver.Analyze(ctx, dir, all.Analyzers, analyze.Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if r == nil {
		t.Fatal("no result")
	}
	if r.Verdict.Cause != analyze.CauseNone {
		t.Errorf("verdict %q", r.Verdict.Cause)
	}
	for _, f := range r.Findings {
		if f.Analyzer != analyze.AnalysisName {
			t.Errorf("finding %s from %s", f.ID, f.Analyzer)
		}
	}
	for _, run := range r.Analyzers {
		if run.Status == analyze.StatusOK {
			t.Errorf("analyzer %s ran", run.Name)
		}
	}
	if len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], dir) {
		t.Errorf("warnings %q do not name the input", r.Warnings)
	}
}

// TestSetValid: the full set passes Validate (names, Doc shape, no
// cycles, nothing requiring the verdict).
func TestSetValid(t *testing.T) {
	if err := analyze.Validate(all.Analyzers); err != nil {
		t.Fatal(err)
	}
	for _, a := range all.Analyzers {
		if a.RunsLast && a != all.Analyzers[len(all.Analyzers)-1] {
			t.Errorf("%s runs last but is not listed last", a.Name)
		}
	}
}
