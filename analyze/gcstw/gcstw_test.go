package gcstw_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/analyze/census"
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

// window is how long each workload is captured: enough for 100 CPU samples
// and ten cycles over a second on a loaded 2-core machine.
const window = 2 * time.Second

// gcFinding runs gc_stw (with the census) over files and returns its one
// finding.
func gcFinding(t *testing.T, files []analyzetest.File) (analyze.Finding, *analyze.Result) {
	t.Helper()
	r := analyzetest.Run(t, analyzetest.Source(t, files), gcstw.Analyzer, census.Analyzer)
	fs := analyzetest.FindingsOf(r, "gc_stw")
	if len(fs) != 1 {
		t.Fatalf("gc_stw findings: %+v", fs)
	}
	analyzetest.LogFinding(t, fs[0])
	return fs[0], r
}

func TestGCPressure(t *testing.T) {
	files := analyzetest.Capture(t, "gc", 4*time.Second)
	for name, reduce := range families {
		t.Run(name, func(t *testing.T) {
			f, r := gcFinding(t, reduce(files))
			if f.Severity < analyze.Warning || f.Cause != analyze.CauseGCSTW {
				t.Errorf("severity %v cause %q", f.Severity, f.Cause)
			}
			if !strings.Contains(f.Summary, "Driven by allocation") || strings.Contains(f.Title, "forced") {
				t.Errorf("driver: %s / %s", f.Title, f.Summary)
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

// TestForcedCollections: a memory governor calling runtime.GC drives the
// collector; the culprit is the governor, not what allocates.
func TestForcedCollections(t *testing.T) {
	files := analyzetest.Capture(t, "governor", window)
	for _, name := range []string{"all", "trace", "gctrace"} {
		t.Run(name, func(t *testing.T) {
			f, _ := gcFinding(t, families[name](files))
			if f.Severity < analyze.Warning || f.Cause != analyze.CauseGCSTW {
				t.Errorf("severity %v cause %q", f.Severity, f.Cause)
			}
			// gctrace's (forced) cannot tell runtime.GC from
			// debug.FreeOSMemory; a stack can.
			call := "forced by explicit runtime.GC() calls"
			if name == "gctrace" {
				call = "forced by explicit runtime.GC() or debug.FreeOSMemory() calls"
			}
			if !strings.Contains(f.Title, call) || !strings.Contains(f.Summary, "Driven by explicit collections") {
				t.Errorf("driver not named: %s / %s", f.Title, f.Summary)
			}
			if name == "gctrace" {
				if f.Culprit != nil {
					t.Errorf("gctrace names no code, got culprit %v", f.Culprit)
				}
				return
			}
			if f.Culprit == nil || !strings.HasSuffix(f.Culprit.Function, "analyzetest.enforceMemoryBudget") {
				t.Errorf("culprit %v, want the caller of runtime.GC", f.Culprit)
			}
		})
	}
	// CPU samples alone need not show the forcing, but must never blame
	// the pool's New, which only allocates because the cycles empty it.
	t.Run("pprof", func(t *testing.T) {
		r := analyzetest.Run(t, analyzetest.Source(t, families["pprof"](files)), gcstw.Analyzer)
		for _, f := range analyzetest.FindingsOf(r, "gc_stw") {
			analyzetest.LogFinding(t, f)
			if f.Culprit != nil && strings.Contains(f.Culprit.Function, "analyzetest.init") {
				t.Errorf("culprit is the pool's New: %v", f.Culprit)
			}
		}
	})
}

// TestMemoryLimit: GOGC=off under a limit just above the working set holds
// the heap at its goal; the culprit is what holds the heap.
func TestMemoryLimit(t *testing.T) {
	files := analyzetest.Capture(t, "limit", 4*time.Second)
	for _, name := range []string{"all", "gctrace"} {
		t.Run(name, func(t *testing.T) {
			f, _ := gcFinding(t, families[name](files))
			if f.Severity < analyze.Warning || f.Cause != analyze.CauseGCSTW {
				t.Errorf("severity %v cause %q", f.Severity, f.Cause)
			}
			if !strings.Contains(f.Title, "memory limit's goal") || !strings.Contains(f.Summary, "Driven by the memory limit") {
				t.Errorf("driver not named: %s / %s", f.Title, f.Summary)
			}
			if name == "all" && (f.Culprit == nil || !strings.HasSuffix(f.Culprit.Function, "analyzetest.fillCacheUnderLimit")) {
				t.Errorf("culprit %v, want what holds the heap", f.Culprit)
			}
		})
	}
}

// TestHealthyShapes: services of different shapes, healthy, in every
// family: no GC cause, however often a small heap collects. The network
// services may still be told their world is slow to stop (a warning
// without a cause) when the host is loaded; the CPU-bound and the idle
// one not even that.
func TestHealthyShapes(t *testing.T) {
	for _, w := range []string{"healthy", "orders", "conns", "idle"} {
		files := analyzetest.Capture(t, w, window)
		for name, reduce := range families {
			t.Run(w+"/"+name, func(t *testing.T) {
				r := analyzetest.Run(t, analyzetest.Source(t, reduce(files)), gcstw.Analyzer, census.Analyzer)
				for _, f := range analyzetest.FindingsOf(r, "gc_stw") {
					analyzetest.LogFinding(t, f)
					if f.Cause != "" {
						t.Errorf("%s workload, %s: cause %q: %s", w, name, f.Cause, f.Title)
					}
					if (w == "healthy" || w == "idle") && f.Severity >= analyze.Warning {
						t.Errorf("%s workload, %s: %v finding %q", w, name, f.Severity, f.Title)
					}
				}
			})
		}
	}
}

// TestInsufficientData: half a second of an idle service holds a couple
// of cycles: gc_stw says so and names no cause.
func TestInsufficientData(t *testing.T) {
	files := analyzetest.Capture(t, "idle", 500*time.Millisecond)
	f, _ := gcFinding(t, analyzetest.Only(files, bundle.KindGCTrace))
	if f.ID != "gc_stw/insufficient-data" || f.Severity != analyze.Info || f.Cause != "" || !strings.Contains(f.Summary, "gc_cycles") {
		t.Errorf("want an insufficient-data info finding, got %s %v %q: %s", f.ID, f.Severity, f.Cause, f.Summary)
	}
}

// TestHeapGoalSetter: real gctrace logs of the same 50 MiB live heap, one
// with GOGC=off under a memory limit just above it, one under GOGC=10 (as
// little headroom as a setting gives, but paced by GOGC): only the first
// is the limit's doing (bundle/gctrace/testdata/gen.go writes both).
func TestHeapGoalSetter(t *testing.T) {
	for log, limit := range map[string]bool{"limit.log": true, "gogc10.log": false} {
		t.Run(log, func(t *testing.T) {
			files := []analyzetest.File{{Disk: "../../bundle/gctrace/testdata/" + log, Kind: bundle.KindGCTrace}}
			f, _ := gcFinding(t, files)
			if f.Cause != analyze.CauseGCSTW {
				t.Fatalf("cause %q: %s", f.Cause, f.Title)
			}
			if got := strings.Contains(f.Summary, "Driven by the memory limit"); got != limit {
				t.Errorf("memory limit named: %v, want %v: %s", got, limit, f.Summary)
			}
		})
	}
}

// TestForcedCollectionsPerf: perf's samples of the governor show the CPU
// its goroutine spends inside runtime.GC, and whose call that is.
func TestForcedCollectionsPerf(t *testing.T) {
	files := analyzetest.CapturePerf(t, "governor", 4*time.Second)
	var perf []analyzetest.File
	for _, f := range files {
		if f.Kind == bundle.KindPerfData || f.Kind == bundle.KindGoBinary {
			perf = append(perf, f)
		}
	}
	f, _ := gcFinding(t, perf)
	if f.Cause != analyze.CauseGCSTW || !strings.Contains(f.Title, "forced by explicit runtime.GC() calls") {
		t.Errorf("cause %q: %s", f.Cause, f.Title)
	}
	if f.Culprit == nil || !strings.HasSuffix(f.Culprit.Function, "analyzetest.enforceMemoryBudget") {
		t.Errorf("culprit %v, want the caller of runtime.GC", f.Culprit)
	}
}
