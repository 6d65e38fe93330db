package all_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/all"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/bundle"
)

// countingSource counts the opens of each artifact through the passes.
type countingSource struct {
	analyze.Source
	mu    sync.Mutex
	opens map[string]int
}

func (s *countingSource) Open(a bundle.Artifact) (io.ReadCloser, error) {
	s.mu.Lock()
	s.opens[a.Path]++
	s.mu.Unlock()
	return s.Source.Open(a)
}

// TestPprofDecodedOnce: over the full set, every pprof member is opened
// (and so decoded) once per analysis, however many analyzers read it, and
// a damaged one is warned about once. The profiles are a real workload's,
// a goroutine profile of this process (the census's) and a real CPU
// profile cut in half.
func TestPprofDecodedOnce(t *testing.T) {
	files := analyzetest.Capture(t, "lock", 2*time.Second)
	dir := t.TempDir()
	g, err := os.Create(filepath.Join(dir, "goroutine.pprof"))
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.Lookup("goroutine").WriteTo(g, 0); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	files = append(files, analyzetest.File{Disk: g.Name(), Kind: bundle.KindPprof})
	cpuProfile, err := os.ReadFile(analyzetest.Only(files, bundle.KindPprof, "cpu")[0].Disk)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pprof")
	if err := os.WriteFile(cut, cpuProfile[:len(cpuProfile)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	files = append(files, analyzetest.File{Disk: cut, Kind: bundle.KindPprof, Attrs: map[string]string{}})

	ds, err := analyzetest.NewDirSource("decode-once", files)
	if err != nil {
		t.Fatal(err)
	}
	src := &countingSource{Source: ds, opens: map[string]int{}}
	r, err := analyze.Execute(context.Background(), src, all.Analyzers, analyze.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pprofs := ds.Manifest().ArtifactsOf(bundle.KindPprof)
	if len(pprofs) != 6 {
		t.Fatalf("%d pprof artifacts, want 6", len(pprofs))
	}
	for _, a := range pprofs {
		if n := src.opens[a.Path]; n != 1 {
			t.Errorf("%s (%s) opened %d times in one analysis, want once", a.Path, a.Attrs["profile_type"], n)
		}
	}
	var warned int
	for _, w := range r.Warnings {
		if strings.Contains(w, "cut.pprof") {
			warned++
			t.Logf("warning: %s", w)
		}
	}
	if warned != 1 {
		t.Errorf("%d warnings name the damaged profile, want 1: %q", warned, r.Warnings)
	}
	for _, run := range r.Analyzers {
		if run.Name == "pprof" {
			t.Errorf("the internal pprof analyzer has a Run record: %+v", run)
		}
	}
}
