package netpoll_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/analyze/netpoll"
	"github.com/coroner/coroner/bundle"
)

func TestMain(m *testing.M) {
	analyzetest.Main()
	os.Exit(m.Run())
}

// TestTimerSpin: goroutines sleeping on microsecond timers, and
// goroutines reading idle connections with microsecond deadlines, are a
// spin from every family alone (perf.data recorded with -p when perf is
// usable here), named at the frame that arms the timers.
func TestTimerSpin(t *testing.T) {
	for w, culprit := range map[string]string{"netpoll": "analyzetest.pollTinyTimers", "deadlines": "analyzetest.probeConnections"} {
		t.Run(w, func(t *testing.T) {
			files := analyzetest.CaptureLoaded(t, w, 2*time.Second, true)
			fams := families(files)
			fams["all"] = files
			for name, fs := range fams {
				t.Run(name, func(t *testing.T) {
					f := analyzetest.OnlyFinding(t, fs, netpoll.Analyzer)
					if f.Severity < analyze.Warning || f.Cause != analyze.CauseNetpollSpin {
						t.Errorf("severity %v cause %q", f.Severity, f.Cause)
					}
					if f.Culprit == nil || !strings.Contains(f.Culprit.Function, culprit) {
						t.Errorf("culprit %v, want %s", f.Culprit, culprit)
					}
				})
			}
		})
	}
}

func TestNoSpinWhenHealthyOrGC(t *testing.T) {
	for _, w := range []string{"healthy", "gc", "lock", "syncpool"} {
		t.Run(w, func(t *testing.T) {
			files := analyzetest.Capture(t, w, time.Second)
			r := analyzetest.Run(t, analyzetest.Source(t, files), netpoll.Analyzer)
			for _, f := range analyzetest.FindingsOf(r, "netpoll_spin") {
				analyzetest.LogFinding(t, f)
				if f.Severity >= analyze.Warning {
					t.Errorf("%s workload: %v finding %q", w, f.Severity, f.Title)
				}
			}
		})
	}
}

// TestGoschedSpin: goroutines polling a flag with runtime.Gosched keep the
// scheduler spinning; the CPU samples (on the scheduler's stack) say so,
// and the goroutine dump names the polling frame.
func TestGoschedSpin(t *testing.T) {
	files := analyzetest.Capture(t, "yield", 2*time.Second)
	fs := append(analyzetest.Only(files, bundle.KindPprof, "cpu"), analyzetest.Only(files, bundle.KindGoroutineDump)...)
	f := analyzetest.OnlyFinding(t, fs, netpoll.Analyzer)
	if f.Severity < analyze.Warning || f.Cause != analyze.CauseNetpollSpin {
		t.Errorf("severity %v cause %q", f.Severity, f.Cause)
	}
	if f.Culprit == nil || !strings.Contains(f.Culprit.Function, "analyzetest.awaitFlag") || !strings.Contains(f.Title, "Gosched") {
		t.Errorf("culprit %v title %q, want the polling workload", f.Culprit, f.Title)
	}
}
