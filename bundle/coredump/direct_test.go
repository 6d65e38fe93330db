package coredump

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/internal/testcore"
)

// busySrc keeps goroutines running on threads (spinning in user code,
// hashing in assembly), one blocked in a system call, and parked ones.
const busySrc = `package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"sync"
	"time"
)

var sink [32]byte

//go:noinline
func spin(n int) int {
	for {
		n = n*31 + 7
		if n == 0 {
			return n
		}
	}
}

func hash() {
	for {
		sink = sha256.Sum256(sink[:])
	}
}

func main() {
	var mu sync.Mutex
	mu.Lock()
	for i := 0; i < 50; i++ {
		go func() { mu.Lock() }()
	}
	go spin(1)
	go hash()
	r, _, _ := os.Pipe()
	go func() {
		var b [1]byte
		r.Read(b[:])
	}()
	time.Sleep(300 * time.Millisecond)
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// TestDirectMatchesDelve: on a snapshot of a live process, the census
// without delve (frame pointers, threads' registers) lists the same
// goroutines with the same stacks as the census that uses delve for the
// running ones.
func TestDirectMatchesDelve(t *testing.T) {
	exe := testcore.BuildIn(t, tmpDir, busySrc)
	p := testcore.Start(t, exe, "ready", "GOMAXPROCS=4")
	core := p.Gcore(t)
	p.Quit(t)
	want, err := Census(context.Background(), core, exe, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(core)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	got, err := directCensus(f, st.Size(), core, exe)
	if err != nil {
		t.Fatalf("direct census refused a snapshot: %v", err)
	}
	if got.Reader != directReader || got.Crash != nil {
		t.Errorf("reader %q, crash %+v", got.Reader, got.Crash)
	}
	byID := map[int64]goroutines.Goroutine{}
	for _, g := range want.Goroutines {
		byID[g.ID] = g
	}
	if len(got.Goroutines) != len(want.Goroutines) {
		t.Errorf("direct census has %d goroutines, delve's %d", len(got.Goroutines), len(want.Goroutines))
	}
	running := 0
	for _, g := range got.Goroutines {
		w, ok := byID[g.ID]
		if !ok {
			t.Errorf("goroutine %d not in delve's census", g.ID)
			continue
		}
		if g.Status == "running" {
			running++
			if g.Thread == 0 {
				t.Errorf("running goroutine %d has no thread", g.ID)
			}
		}
		if gs, ws := stackString(g.Frames), stackString(w.Frames); gs != ws || g.Status != w.Status {
			t.Errorf("goroutine %d:\n direct %s %s\n delve  %s %s", g.ID, g.Status, gs, w.Status, ws)
		}
	}
	if running < 2 {
		t.Errorf("%d running goroutines; the program keeps two spinning", running)
	}
}

// TestArchiveCensusInPlace: a snapshot core inside an archive is read
// where it lies (nothing extracted) and gives the census of the file.
func TestArchiveCensusInPlace(t *testing.T) {
	exe := testcore.BuildIn(t, tmpDir, busySrc)
	p := testcore.Start(t, exe, "ready", "GOMAXPROCS=4")
	core := p.Gcore(t)
	p.Quit(t)
	want, err := Census(context.Background(), core, exe, Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := t.TempDir()
	for _, f := range []string{core, exe} {
		if err := os.Link(f, filepath.Join(in, filepath.Base(f))); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "incident.tar.zst")
	if _, err := bundle.Ingest(context.Background(), bundle.IngestOptions{Inputs: []string{in}, Output: path, Limits: bundle.DefaultLimits()}); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	t.Setenv("CORONER_CACHE_DIR", cache)
	a, err := bundle.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	arts := a.Manifest().ArtifactsOf(bundle.KindCore)
	if len(arts) != 1 {
		t.Fatalf("archive holds %d cores", len(arts))
	}
	got, err := ArchiveCensus(context.Background(), a, arts[0], exe, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Reader != directReader {
		t.Errorf("census read by %q, want %q", got.Reader, directReader)
	}
	if len(got.Goroutines) != len(want.Goroutines) {
		t.Fatalf("archive census has %d goroutines, file census %d", len(got.Goroutines), len(want.Goroutines))
	}
	for i, g := range got.Goroutines {
		w := want.Goroutines[i]
		if g.ID != w.ID || g.Status != w.Status || stackString(g.Frames) != stackString(w.Frames) {
			t.Errorf("goroutine %d: archive %s %s, file %d %s %s", g.ID, g.Status, stackString(g.Frames), w.ID, w.Status, stackString(w.Frames))
		}
	}
	filepath.WalkDir(cache, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if st, err := os.Stat(p); err == nil && st.Size() == arts[0].Size {
			t.Errorf("the core was extracted to %s", p)
		}
		return nil
	})
}

// TestDirectNeedsDelveForCrash: a core the kernel wrote for a fatal
// signal carries crash details only delve reads.
func TestDirectNeedsDelveForCrash(t *testing.T) {
	testcore.CheckCoreDumps(t)
	exe := testcore.BuildIn(t, tmpDir, crashSrcForDirect)
	core, _ := testcore.CrashIn(t, tmpDir, exe, "GOTRACEBACK=crash")
	f, err := os.Open(core)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	if _, err := directCensus(f, st.Size(), core, exe); err == nil || !strings.Contains(err.Error(), errNeedsDelve.Error()) {
		t.Fatalf("direct census of a crash core: %v, want %v", err, errNeedsDelve)
	}
}

const crashSrcForDirect = `package main

func main() {
	var m map[string]int
	m["x"] = 1
}
`

func TestReadInPlace(t *testing.T) {
	for sig, want := range map[string]bool{"SIGSTOP": true, "SIGTRAP": false, "SIGABRT": false, "SIGSEGV": false, "SIGQUIT": false, "": false, "no such": false} {
		if got := ReadInPlace(map[string]string{"signal": sig}); got != want {
			t.Errorf("ReadInPlace(signal %q) = %v, want %v", sig, got, want)
		}
	}
}
