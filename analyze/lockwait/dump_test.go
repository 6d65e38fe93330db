package lockwait_test

import (
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/analyze/lockwait"
	"github.com/coroner/coroner/bundle"
)

// TestDumpAlone: a debug=2 goroutine dump alone reaches lock_wait when
// goroutines queue on a sync.Mutex or a sync.RWMutex, naming the
// acquiring frame, and does not for healthy services of four shapes.
func TestDumpAlone(t *testing.T) {
	for w, want := range map[string]string{
		"lock":    "analyzetest.updateSharedMap",
		"readers": "analyzetest.refreshSessions",
		"http":    "",
		"lines":   "",
		"batch":   "",
		"idle":    "",
	} {
		t.Run(w, func(t *testing.T) {
			files := analyzetest.Only(analyzetest.CaptureLoaded(t, w, 2*time.Second, false), bundle.KindGoroutineDump)
			f := analyzetest.OnlyFinding(t, files, lockwait.Analyzer)
			if want == "" {
				if f.Severity >= analyze.Warning || f.Cause != "" {
					t.Errorf("healthy %s dump: %v %q", w, f.Severity, f.Title)
				}
				return
			}
			if f.Severity < analyze.Warning || f.Cause != analyze.CauseLockWait {
				t.Errorf("severity %v cause %q", f.Severity, f.Cause)
			}
			if f.Culprit == nil || !strings.Contains(f.Culprit.Function, want) {
				t.Errorf("culprit %v, want %s", f.Culprit, want)
			}
		})
	}
}

// TestHealthyShapesFromEachFamily: the healthy services give no lock
// wait from any family alone — contention profiles, trace, dump, CPU
// samples (perf.data recorded with -p when perf is usable here).
func TestHealthyShapesFromEachFamily(t *testing.T) {
	for _, w := range []string{"http", "lines", "batch", "idle"} {
		t.Run(w, func(t *testing.T) {
			files := analyzetest.CaptureLoaded(t, w, 2*time.Second, true)
			fams := map[string][]analyzetest.File{
				"pprof": analyzetest.Only(files, bundle.KindPprof),
				"trace": analyzetest.Only(files, bundle.KindTrace),
				"dump":  analyzetest.Only(files, bundle.KindGoroutineDump),
			}
			if perf := analyzetest.Only(files, bundle.KindPerfData); len(perf) > 0 {
				fams["perf"] = append(perf, analyzetest.Only(files, bundle.KindGoBinary)...)
			}
			for fam, fs := range fams {
				t.Run(fam, func(t *testing.T) {
					f := analyzetest.OnlyFinding(t, fs, lockwait.Analyzer)
					if f.Severity >= analyze.Warning || f.Cause != "" {
						t.Errorf("%s from %s alone: %v %q", w, fam, f.Severity, f.Title)
					}
				})
			}
		})
	}
}
