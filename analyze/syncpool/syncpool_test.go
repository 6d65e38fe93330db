package syncpool_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/analyze/census"
	"github.com/coroner/coroner/analyze/gcstw"
	"github.com/coroner/coroner/analyze/syncpool"
	"github.com/coroner/coroner/bundle"
)

func TestMain(m *testing.M) {
	analyzetest.Main()
	os.Exit(m.Run())
}

// window is how long each workload is captured: enough for 100 CPU
// samples on a loaded 2-core machine.
const window = 2 * time.Second

func TestPoolContention(t *testing.T) {
	files := analyzetest.Capture(t, "syncpool", 4*time.Second)
	f := analyzetest.OnlyFinding(t, analyzetest.Only(files, bundle.KindPprof), syncpool.Analyzer)
	if f.Severity < analyze.Warning || f.Cause != analyze.CauseSyncPoolContention {
		t.Errorf("severity %v cause %q", f.Severity, f.Cause)
	}
	if f.Culprit == nil || !strings.Contains(f.Culprit.Function, "analyzetest.shareBuffers") {
		t.Errorf("culprit %v, want the pool's user", f.Culprit)
	}
}

// TestNoContentionElsewhere: healthy services of several shapes (net/http
// pools its own buffers), allocation-bound and lock-bound ones, whole and
// reduced to their profiles: no pool alarm.
func TestNoContentionElsewhere(t *testing.T) {
	for _, w := range []string{"healthy", "orders", "conns", "idle", "gc", "lock"} {
		files := analyzetest.Capture(t, w, window)
		for name, fs := range map[string][]analyzetest.File{"all": files, "pprof": analyzetest.Only(files, bundle.KindPprof)} {
			t.Run(w+"/"+name, func(t *testing.T) {
				r := analyzetest.Run(t, analyzetest.Source(t, fs), syncpool.Analyzer)
				for _, f := range analyzetest.FindingsOf(r, "syncpool_contention") {
					analyzetest.LogFinding(t, f)
					if f.Severity >= analyze.Warning || f.Cause != "" {
						t.Errorf("%s workload: %v finding %q", w, f.Severity, f.Title)
					}
				}
			})
		}
	}
}

// TestFirstMoments: a CPU profile of a service's first moments, as an
// incident that crashed right after starting leaves it, holds too few
// samples to judge (runtime/pprof's 100 Hz over 200 ms, with the
// workload's four Ps all busy, is at most 80, under the minimum of 100): no alarm, and the finding says
// why. The contention profiles are left out: they count events since the
// program started, and a contended pool can record enough of them in
// 200 ms to be judged.
func TestFirstMoments(t *testing.T) {
	files := analyzetest.Capture(t, "syncpool", 200*time.Millisecond)
	r := analyzetest.Run(t, analyzetest.Source(t, analyzetest.Only(files, bundle.KindPprof, "cpu")), syncpool.Analyzer)
	fs := analyzetest.FindingsOf(r, "syncpool_contention")
	if len(fs) != 1 {
		t.Fatalf("findings %+v", fs)
	}
	f := fs[0]
	analyzetest.LogFinding(t, f)
	if f.Severity >= analyze.Warning || f.Cause != "" || f.ID != "syncpool_contention/insufficient-data" || !strings.Contains(f.Summary, "cpu_samples") {
		t.Errorf("%v finding %q: %s", f.Severity, f.Title, f.Summary)
	}
}

// TestEmptiedByForcedGC: a memory governor's runtime.GC calls empty the
// pool, so its New allocates for every Get: the finding names the pool's
// New and, as culprit, the caller forcing the cycles.
func TestEmptiedByForcedGC(t *testing.T) {
	files := analyzetest.Capture(t, "governor", 3*time.Second)
	r := analyzetest.Run(t, analyzetest.Source(t, files), syncpool.Analyzer, gcstw.Analyzer, census.Analyzer)
	fs := analyzetest.FindingsOf(r, "syncpool_contention")
	if len(fs) != 1 {
		t.Fatalf("findings %+v", fs)
	}
	f := fs[0]
	analyzetest.LogFinding(t, f)
	if f.ID != "syncpool_contention/emptied-by-forced-gc" || f.Severity < analyze.Warning {
		t.Errorf("%s %v: %s", f.ID, f.Severity, f.Title)
	}
	if !strings.Contains(f.Title, "analyzetest.init") || !strings.Contains(f.Title, "enforceMemoryBudget") {
		t.Errorf("title names not both the pool's New and the forcing caller: %s", f.Title)
	}
	if f.Culprit == nil || !strings.HasSuffix(f.Culprit.Function, "analyzetest.enforceMemoryBudget") {
		t.Errorf("culprit %v, want the forcing caller", f.Culprit)
	}
	if len(f.Explains) > 0 {
		t.Errorf("the emptied pool explains nothing: %v", f.Explains)
	}
}
