package gcstw_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/analyze/gcstw"
	"github.com/coroner/coroner/bundle"
)

func TestMain(m *testing.M) {
	analyzetest.Main()
	os.Exit(m.Run())
}

// families are the single-artifact-family reductions that carry GC signal.
var families = map[string]func([]analyzetest.File) []analyzetest.File{
	"all":     func(f []analyzetest.File) []analyzetest.File { return f },
	"trace":   func(f []analyzetest.File) []analyzetest.File { return analyzetest.Only(f, bundle.KindTrace) },
	"gctrace": func(f []analyzetest.File) []analyzetest.File { return analyzetest.Only(f, bundle.KindGCTrace) },
	"pprof":   func(f []analyzetest.File) []analyzetest.File { return analyzetest.Only(f, bundle.KindPprof) },
}

func TestGCPressure(t *testing.T) {
	files := analyzetest.Capture(t, "gc", time.Second)
	for name, reduce := range families {
		t.Run(name, func(t *testing.T) {
			r := analyzetest.Run(t, analyzetest.Source(t, reduce(files)), gcstw.Analyzer)
			fs := analyzetest.FindingsOf(r, "gc_stw")
			if len(fs) != 1 {
				t.Fatalf("findings: %+v", fs)
			}
			f := fs[0]
			t.Logf("%s [%v %.2f] culprit %v", f.Title, f.Severity, f.Confidence, f.Culprit)
			for _, e := range f.Evidence {
				t.Logf("  %s=%v th=%v %s", e.Metric, e.Value, e.Threshold, e.Artifact)
			}
			if f.Severity < analyze.Warning || f.Cause != analyze.CauseGCSTW {
				t.Errorf("severity %v cause %q", f.Severity, f.Cause)
			}
			if name != "gctrace" { // gctrace lines name no code
				if f.Culprit == nil || !strings.HasSuffix(f.Culprit.Function, "analyzetest.buildGarbage.func1") {
					t.Errorf("culprit %v, want the allocating workload", f.Culprit)
				}
			}
			if name != "pprof" && len(r.Pauses) == 0 {
				t.Error("no pauses for the timeline")
			}
		})
	}
}

func TestHealthyHasNoWarning(t *testing.T) {
	files := analyzetest.Capture(t, "healthy", time.Second)
	r := analyzetest.Run(t, analyzetest.Source(t, files), gcstw.Analyzer)
	for _, f := range r.Findings {
		t.Logf("%s [%v]", f.Title, f.Severity)
		for _, e := range f.Evidence {
			t.Logf("  %s=%v th=%v", e.Metric, e.Value, e.Threshold)
		}
		if f.Severity >= analyze.Warning {
			t.Errorf("healthy workload got %v finding %q", f.Severity, f.Title)
		}
	}
}
