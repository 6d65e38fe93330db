package coredump

import (
	"context"
	"os"
	"strings"
	"testing"

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
