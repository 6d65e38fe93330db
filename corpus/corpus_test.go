package corpus_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/bundle/capture"
	"github.com/coroner/coroner/corpus"
	"github.com/coroner/coroner/corpus/evidence"
)

func TestExpectedFiles(t *testing.T) {
	exps, err := corpus.Load("scenarios")
	if err != nil {
		t.Fatal(err)
	}
	dirs, _ := filepath.Glob("scenarios/*/main.go")
	if len(exps) != len(dirs) || len(exps) < 7 {
		t.Fatalf("%d expected.json files for %d scenarios", len(exps), len(dirs))
	}
	for _, e := range exps {
		if _, err := os.Stat(filepath.Join("scenarios", e.Scenario, "README.md")); err != nil {
			t.Errorf("%s: no README.md", e.Scenario)
		}
		if e.Primary != "none" && len(e.Culprits) == 0 {
			t.Errorf("%s: no culprits", e.Scenario)
		}
		if e.Primary == "crash" && e.CrashSite == "" {
			t.Errorf("%s: crash scenario without crash_site", e.Scenario)
		}
	}
}

// TestScenariosExhibitTheirCause proves from each capture's own raw signals
// (gctrace totals, CPU profile shares, mutex delay, goroutine states, the
// crash banner) that the scenario shows its root cause and healthy shows
// none. By default it reads the frozen archives in testdata/; with
// CORONER_LONG=1 it captures every scenario live.
func TestScenariosExhibitTheirCause(t *testing.T) {
	exps, err := corpus.Load("scenarios")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]corpus.Expected{}
	for _, e := range exps {
		byName[e.Scenario] = e
	}
	if os.Getenv("CORONER_LONG") == "1" {
		for _, e := range exps {
			t.Run(e.Scenario, func(t *testing.T) { check(t, e, liveCapture(t, e.Scenario)) })
		}
		return
	}
	archives, _ := filepath.Glob("testdata/*.tar.zst")
	if len(archives) == 0 {
		t.Skip("no frozen archives in testdata/ (corpus/scripts/refresh-testdata.sh makes them)")
	}
	for _, path := range archives {
		t.Run(filepath.Base(path), func(t *testing.T) {
			a, err := evidence.OpenArchive(path)
			if err != nil {
				t.Fatal(err)
			}
			name := a.A.Manifest().Labels["scenario"]
			e, ok := byName[name]
			if !ok {
				t.Fatalf("archive labelled scenario %q, which has no expected.json", name)
			}
			check(t, e, a)
		})
	}
}

func check(t *testing.T, e corpus.Expected, f evidence.Files) {
	t.Helper()
	s, err := evidence.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	if s.GC != nil {
		t.Logf("%s: gctrace: %d cycles over %v (%.1f/s), GC CPU %d%%, STW total %v, max %v", e.Scenario, s.GC.Cycles, s.GC.Span, s.GC.PerSecond(), s.GC.CPUPercent, s.GC.Pause, s.GC.MaxPause)
	}
	causes := evidence.Causes(s)
	for c, why := range causes {
		t.Logf("%s: shows %s: %s", e.Scenario, c, why)
	}
	if e.Primary == "none" {
		if len(causes) > 0 {
			t.Errorf("%s must show no problem, shows %v", e.Scenario, causes)
		}
		return
	}
	if _, ok := causes[e.Primary]; !ok {
		t.Errorf("%s does not exhibit %s (failed scenario); signals show %v", e.Scenario, e.Primary, causes)
	}
	for c := range causes {
		if c != e.Primary && !contains(e.Secondary, c) {
			t.Errorf("%s also shows %s, which expected.json does not list as secondary", e.Scenario, c)
		}
	}
	if e.Primary == "crash" {
		if !s.HasCore {
			t.Errorf("%s: no core in the capture", e.Scenario)
		}
		if s.Stderr == nil || !strings.HasPrefix(s.Stderr.Panic, e.Panic) {
			t.Errorf("%s: panic %+v, want %q", e.Scenario, s.Stderr, e.Panic)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// liveCapture builds and captures a scenario with the collect code path,
// keeping the staging directory for evidence.
func liveCapture(t *testing.T, name string) evidence.Files {
	dir := t.TempDir()
	bin := filepath.Join(dir, name)
	if out, err := exec.Command("go", "build", "-o", bin, "./scenarios/"+name).CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", name, err, out)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := capture.Collect(ctx, capture.Options{
		Exec:        []string{bin, "-addr", addr, "-severity", "severe"},
		Dir:         dir,
		PprofURL:    "http://" + addr,
		Duration:    10 * time.Second,
		Core:        capture.CoreNone,
		Perf:        capture.PerfOff,
		Output:      filepath.Join(dir, name+".tar.zst"),
		KeepStaging: true,
		Labels:      map[string]string{"scenario": name},
		Log:         t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	return evidence.Dir(res.Staging)
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
