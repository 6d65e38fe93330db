package syncpool_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/analyze/syncpool"
	"github.com/coroner/coroner/bundle"
)

func TestMain(m *testing.M) {
	analyzetest.Main()
	os.Exit(m.Run())
}

func TestPoolContention(t *testing.T) {
	files := analyzetest.Capture(t, "syncpool", time.Second)
	f := analyzetest.OnlyFinding(t, analyzetest.Only(files, bundle.KindPprof), syncpool.Analyzer)
	if f.Severity < analyze.Warning || f.Cause != analyze.CauseSyncPoolContention {
		t.Errorf("severity %v cause %q", f.Severity, f.Cause)
	}
	if f.Culprit == nil || !strings.Contains(f.Culprit.Function, "analyzetest.shareBuffers") {
		t.Errorf("culprit %v, want the pool's user", f.Culprit)
	}
}

func TestNoContentionElsewhere(t *testing.T) {
	for _, w := range []string{"healthy", "gc", "lock"} {
		t.Run(w, func(t *testing.T) {
			files := analyzetest.Capture(t, w, time.Second)
			r := analyzetest.Run(t, analyzetest.Source(t, files), syncpool.Analyzer)
			for _, f := range analyzetest.FindingsOf(r, "syncpool_contention") {
				analyzetest.LogFinding(t, f)
				if f.Severity >= analyze.Warning {
					t.Errorf("%s workload: %v finding %q", w, f.Severity, f.Title)
				}
			}
		})
	}
}
