package census

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/testcore"
	"github.com/coroner/coroner/internal/worker"
)

func TestMain(m *testing.M) {
	worker.Main()
	os.Exit(m.Run())
}

// parkedSrc parks goroutines on a mutex and a channel, writes its own
// goroutine profiles, then crashes on a nil map write in a worker.
const parkedSrc = `package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"sync"
	"time"
)

func main() {
	var mu sync.Mutex
	mu.Lock()
	ch := make(chan int)
	for i := 0; i < 40; i++ {
		go func() { mu.Lock() }()
		go func() { <-ch }()
	}
	time.Sleep(200 * time.Millisecond)
	for _, d := range []int{1, 2} {
		f, _ := os.Create(fmt.Sprintf("goroutine.debug%d", d))
		pprof.Lookup("goroutine").WriteTo(f, d)
		f.Close()
	}
	var m map[int]int
	go func() { m[1] = 1 }()
	time.Sleep(time.Hour)
}
`

func TestCensusPrefersCompleteCore(t *testing.T) {
	exe := testcore.Build(t, parkedSrc)
	core, stderr := testcore.Crash(t, exe)
	dir := filepath.Dir(core)
	// Cut debug=2 mid-frame, as runtime/pprof does at 64 MiB.
	d2 := filepath.Join(dir, "goroutine.debug2")
	b, err := os.ReadFile(d2)
	if err != nil {
		t.Fatal(err)
	}
	// Mid-line: a cut that happens to end a line looks like a whole dump.
	end := len(b)/2 + 7
	for b[end-1] == '\n' {
		end++
	}
	if err := os.WriteFile(d2, b[:end], 0o644); err != nil {
		t.Fatal(err)
	}
	crashLog := filepath.Join(dir, "crash.log")
	if err := os.WriteFile(crashLog, stderr, 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := analyzetest.NewDirSource("census", []analyzetest.File{
		{Disk: exe, Kind: bundle.KindGoBinary},
		{Disk: core, Kind: bundle.KindCore},
		{Disk: d2, Kind: bundle.KindGoroutineDump},
		{Disk: filepath.Join(dir, "goroutine.debug1"), Kind: bundle.KindGoroutineDump},
		{Disk: crashLog, Kind: bundle.KindGoroutineDump},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := analyzetest.Run(t, src, Analyzer)
	fs := analyzetest.FindingsOf(r, "goroutines")
	var census, cut *analyze.Finding
	for i, f := range fs {
		switch {
		case f.ID == "goroutines/census":
			census = &fs[i]
		case strings.HasPrefix(f.ID, "goroutines/incomplete-"):
			cut = &fs[i]
		}
	}
	if census == nil || !strings.Contains(census.Title, "(core)") {
		t.Fatalf("census finding %+v", census)
	}
	// 40 + 40 parked, main, and the crashing worker.
	if !strings.Contains(census.Title, "82 user") {
		t.Errorf("census title %q", census.Title)
	}
	if cut == nil || !strings.Contains(cut.Summary, "64 MiB") {
		t.Errorf("cut debug=2 not reported: %+v", fs)
	}
	if len(r.Goroutines) == 0 || r.Goroutines[0].Count != 40 {
		t.Errorf("report groups %+v", r.Goroutines)
	}
	if len(r.Analyzers) != 1 || len(r.Analyzers[0].Used) < 4 {
		t.Errorf("used %v", r.Analyzers)
	}
	t.Logf("%s\n%s", census.Title, census.Summary)
}

// TestPrefersDebug1OverCutDebug2 uses real dumps of one process (see
// bundle/goroutines/testdata): a debug=2 dump cut mid-frame loses to the
// complete debug=1 profile.
func TestPrefersDebug1OverCutDebug2(t *testing.T) {
	dir := t.TempDir()
	d2, err := os.ReadFile(filepath.Join("..", "..", "bundle", "goroutines", "testdata", "debug2.txt"))
	if err != nil {
		t.Fatal(err)
	}
	d1, err := os.ReadFile(filepath.Join("..", "..", "bundle", "goroutines", "testdata", "debug1.txt"))
	if err != nil {
		t.Fatal(err)
	}
	p2, p1 := filepath.Join(dir, "goroutine.debug2"), filepath.Join(dir, "goroutine.debug1")
	if err := os.WriteFile(p2, d2[:len(d2)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p1, d1, 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := analyzetest.NewDirSource("cut", []analyzetest.File{
		{Disk: p2, Kind: bundle.KindGoroutineDump}, {Disk: p1, Kind: bundle.KindGoroutineDump},
	})
	if err != nil {
		t.Fatal(err)
	}
	r, _, _, err := Read(context.Background(), src, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Census.Format != "debug1" || !r.Census.Complete || r.Summary.User != 61 {
		t.Errorf("census from %s (%s, complete=%v, %d user)", r.Census.Source, r.Census.Format, r.Census.Complete, r.Summary.User)
	}
}
