package cpu_test

import (
	"os"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/internal/stacks"
	"github.com/coroner/coroner/bundle"
)

func TestMain(m *testing.M) {
	analyzetest.Main()
	os.Exit(m.Run())
}

func TestBreakdownOnRealProfiles(t *testing.T) {
	for _, w := range []struct {
		name string
		want stacks.Category
	}{{"healthy", stacks.CatUser}, {"gc", stacks.CatGC}, {"netpoll", stacks.CatScheduler}} {
		t.Run(w.name, func(t *testing.T) {
			files := analyzetest.Capture(t, w.name, time.Second)
			src := analyzetest.Source(t, analyzetest.Only(files, bundle.KindPprof, "cpu"))
			r := analyzetest.Run(t, src, cpu.Analyzer)
			if r.Flame == nil || r.Flame.Value == 0 {
				t.Fatal("no flame graph")
			}
			if got := r.Analyzers[0].Used; len(got) != 1 {
				t.Errorf("used = %v", got)
			}
			fs := analyzetest.FindingsOf(r, "cpu")
			if len(fs) != 1 {
				t.Fatalf("findings: %+v", fs)
			}
			t.Logf("%s", fs[0].Title)
			share := map[string]float64{}
			for _, e := range fs[0].Evidence {
				t.Logf("  %s = %v", e.Metric, e.Value)
				share[e.Metric] = e.Value
			}
			// On a shared, loaded host the exact split moves; the workload's
			// own family must still beat user code (or, for the healthy
			// one, hold the majority).
			want := share["cpu_share_"+string(w.want)]
			if w.want == stacks.CatScheduler {
				want += share["cpu_share_runtime_lock"]
			}
			if w.want == stacks.CatUser && want < 0.5 || w.want != stacks.CatUser && want <= share["cpu_share_user"] {
				t.Errorf("%s share %.2f, user %.2f", w.want, want, share["cpu_share_user"])
			}
		})
	}
}

func TestPerfRecording(t *testing.T) {
	files := analyzetest.CapturePerf(t, "gc", time.Second)
	src := analyzetest.Source(t, append(analyzetest.Only(files, bundle.KindPerfData), analyzetest.Only(files, bundle.KindGoBinary)...))
	r := analyzetest.Run(t, src, cpu.Analyzer)
	for _, w := range r.Warnings {
		t.Log("warning:", w)
	}
	fs := analyzetest.FindingsOf(r, "cpu")
	if len(fs) != 1 {
		t.Fatalf("findings: %+v", fs)
	}
	t.Log(fs[0].Title)
	share := map[string]float64{}
	for _, e := range fs[0].Evidence {
		share[e.Metric] = e.Value
	}
	if share["cpu_share_gc"] <= share["cpu_share_user"] {
		t.Errorf("GC share from perf %.2f, user %.2f: want the collector to dominate", share["cpu_share_gc"], share["cpu_share_user"])
	}
}
