package netpoll_test

import (
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/analyze/netpoll"
	"github.com/coroner/coroner/bundle"
)

// families reduces a capture to each artifact family alone that carries
// the scheduler's signal, as a ticket carrying one attachment would.
func families(files []analyzetest.File) map[string][]analyzetest.File {
	out := map[string][]analyzetest.File{
		"pprof": analyzetest.Only(files, bundle.KindPprof, "cpu"),
		"trace": analyzetest.Only(files, bundle.KindTrace),
	}
	if perf := analyzetest.Only(files, bundle.KindPerfData); len(perf) > 0 {
		out["perf"] = append(perf, analyzetest.Only(files, bundle.KindGoBinary)...)
	}
	return out
}

// TestHealthyShapesFromEachFamily: healthy services of four shapes — a
// busy net/http server under a load generator, a line-protocol server
// holding many connections, CPU-bound batch work, an idle server — give
// no spin from any family alone, perf.data recorded with -p included.
func TestHealthyShapesFromEachFamily(t *testing.T) {
	for _, w := range []string{"http", "lines", "batch", "idle"} {
		t.Run(w, func(t *testing.T) {
			files := analyzetest.CaptureLoaded(t, w, 2*time.Second, true)
			for fam, fs := range families(files) {
				t.Run(fam, func(t *testing.T) {
					f := analyzetest.OnlyFinding(t, fs, netpoll.Analyzer)
					if f.Severity >= analyze.Warning || f.Cause != "" {
						t.Errorf("%s from %s alone: %v %q", w, fam, f.Severity, f.Title)
					}
					// An idle process's CPU profile holds a handful of
					// samples at most: too few to judge.
					if w == "idle" && fam == "pprof" && f.ID != "netpoll_spin/insufficient-data" {
						t.Errorf("idle CPU profile judged: %s %q", f.ID, f.Title)
					}
				})
			}
		})
	}
}

// TestTooLittleIsInsufficient: even a real spin recorded too briefly — a
// trace under half a second, a CPU profile of a few dozen samples — is
// insufficient data, not a cause.
func TestTooLittleIsInsufficient(t *testing.T) {
	files := analyzetest.Capture(t, "netpoll", 100*time.Millisecond)
	for fam, fs := range families(files) {
		t.Run(fam, func(t *testing.T) {
			f := analyzetest.OnlyFinding(t, fs, netpoll.Analyzer)
			for _, e := range f.Evidence {
				// The trace also spans the capture's own start and stop,
				// which a loaded machine can stretch past the minimum.
				if e.Metric == "trace_duration" && e.Value >= 0.5 {
					t.Skipf("the trace spans %.2f s, not too little", e.Value)
				}
			}
			if f.ID != "netpoll_spin/insufficient-data" || f.Cause != "" || f.Severity != analyze.Info {
				t.Errorf("%s of 100 ms: %s %v %q, want insufficient data", fam, f.ID, f.Severity, f.Title)
			}
		})
	}
}
