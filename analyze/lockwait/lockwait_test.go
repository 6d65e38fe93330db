package lockwait_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/analyze/lockwait"
	"github.com/coroner/coroner/bundle"
)

func TestMain(m *testing.M) {
	analyzetest.Main()
	os.Exit(m.Run())
}

func TestLockContention(t *testing.T) {
	files := analyzetest.Capture(t, "lock", time.Second)
	for name, fs := range map[string][]analyzetest.File{
		"all":        files,
		"pprof":      analyzetest.Only(files, bundle.KindPprof),
		"trace":      analyzetest.Only(files, bundle.KindTrace),
		"goroutines": analyzetest.Only(files, bundle.KindGoroutineDump),
	} {
		t.Run(name, func(t *testing.T) {
			f := analyzetest.OnlyFinding(t, fs, lockwait.Analyzer)
			if f.Severity < analyze.Warning || f.Cause != analyze.CauseLockWait {
				t.Errorf("severity %v cause %q", f.Severity, f.Cause)
			}
			if f.Culprit == nil || !strings.Contains(f.Culprit.Function, "analyzetest.updateSharedMap") {
				t.Errorf("culprit %v, want the acquiring function", f.Culprit)
			}
			if name == "all" && !strings.Contains(f.Title, "critical section ends in") {
				t.Errorf("title %q does not name the holder", f.Title)
			}
		})
	}
}

func TestNoLockWaitElsewhere(t *testing.T) {
	for _, w := range []string{"healthy", "gc", "netpoll", "syncpool", "counters"} {
		t.Run(w, func(t *testing.T) {
			files := analyzetest.Capture(t, w, time.Second)
			r := analyzetest.Run(t, analyzetest.Source(t, files), lockwait.Analyzer)
			for _, f := range analyzetest.FindingsOf(r, "lock_wait") {
				analyzetest.LogFinding(t, f)
				if f.Severity >= analyze.Warning {
					t.Errorf("%s workload: %v finding %q", w, f.Severity, f.Title)
				}
			}
		})
	}
}
