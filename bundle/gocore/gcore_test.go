package gocore

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/internal/testcore"
)

// partialDeadlockSrc deadlocks two groups of goroutines on two mutexes
// taken in opposite orders, while the rest of the process stays healthy
// (goroutines waiting for work that is merely slow to come).
const partialDeadlockSrc = `package main

import (
	"fmt"
	"sync"
	"time"
)

type account struct {
	mu  sync.Mutex
	bal int
}

func transfer(from, to *account, n int, ready *sync.WaitGroup) {
	from.mu.Lock()
	ready.Done()
	ready.Wait()
	to.mu.Lock()
	from.bal -= n
	to.bal += n
}

func main() {
	a, b := &account{}, &account{}
	var ready sync.WaitGroup
	ready.Add(2)
	go transfer(a, b, 1, &ready)
	go transfer(b, a, 1, &ready)
	ready.Wait() // both transfers hold their first lock
	for i := 0; i < 6; i++ {
		go func() { a.mu.Lock() }()
		go func() { b.mu.Lock() }()
	}
	work := make(chan int)
	for i := 0; i < 8; i++ {
		go func() {
			for {
				select {
				case <-work:
				case <-time.After(time.Hour):
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// snapshotCensus starts exe, snapshots it with gcore, takes the runtime's
// SIGQUIT dump as it exits, and reads the snapshot's census.
func snapshotCensus(t *testing.T, exe string) (*goroutines.Census, []byte) {
	t.Helper()
	p := testcore.Start(t, exe, "ready")
	core := p.Gcore(t)
	dump := p.Quit(t)
	c, err := Census(context.Background(), core, exe, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c, dump
}

func TestPartialDeadlockGcore(t *testing.T) {
	exe := testcore.BuildIn(t, tmpDir, partialDeadlockSrc)
	c, dump := snapshotCensus(t, exe)
	if c.Crash != nil && c.Crash.Kind != "signal" {
		t.Errorf("a live snapshot reported a crash: %+v", c.Crash)
	}
	compareUsers(t, c, dump)
	// The mutex waiters split over exactly two lock addresses, 7 each (six
	// plain lockers plus one transfer).
	byAddr := map[uint64]int{}
	for _, g := range c.Goroutines {
		if g.WaitReason == "sync.Mutex.Lock" {
			byAddr[g.LockAddr]++
		}
	}
	if len(byAddr) != 2 {
		t.Fatalf("mutex waiters by address: %v", byAddr)
	}
	for a, n := range byAddr {
		if a == 0 || n != 7 {
			t.Errorf("mutex %#x has %d waiters, want 7", a, n)
		}
	}
}

// compareUsers checks that the core census and a runtime dump taken right
// after it agree on every user goroutine's ID, status and wait reason.
// System goroutines may change state between the two snapshots.
func compareUsers(t *testing.T, c *goroutines.Census, dump []byte) {
	t.Helper()
	d, err := goroutines.ParseDump(bytes.NewReader(dump), "sigquit")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]goroutines.Goroutine{}
	for _, g := range d.Goroutines {
		if !g.System {
			want[g.ID] = g
		}
	}
	n := 0
	for _, g := range c.Goroutines {
		if g.System {
			continue
		}
		n++
		w, ok := want[g.ID]
		if !ok {
			t.Errorf("goroutine %d (%s %q) not in the runtime dump", g.ID, g.Status, g.WaitReason)
			continue
		}
		if w.WaitReason != g.WaitReason || (w.Status != g.Status && !(g.Status == "waiting" && w.Status == "waiting")) {
			t.Errorf("goroutine %d: core %s/%q, dump %s/%q", g.ID, g.Status, g.WaitReason, w.Status, w.WaitReason)
		}
	}
	if n != len(want) {
		t.Errorf("core census has %d user goroutines, runtime dump %d", n, len(want))
	}
}

// manySrc starts N goroutines in several states.
const manySrc = `package main

import (
	"fmt"
	"sync"
	"time"
)

func main() {
	var mu sync.Mutex
	mu.Lock()
	ch := make(chan int)
	var wg sync.WaitGroup
	wg.Add(1)
	for i := 0; i < %d; i++ {
		switch i %% 5 {
		case 0, 1:
			go func() { <-ch }()
		case 2:
			go func() { mu.Lock() }()
		case 3:
			go func() { select { case <-ch: case <-time.After(time.Hour): } }()
		case 4:
			go func() { wg.Wait() }()
		}
	}
	time.Sleep(time.Second)
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

func TestTenThousandGoroutines(t *testing.T) {
	if testing.Short() {
		t.Skip("10k-goroutine core takes several seconds")
	}
	const n = 10000
	exe := testcore.BuildIn(t, tmpDir, fmt.Sprintf(manySrc, n))
	c, dump := snapshotCensus(t, exe)
	compareUsers(t, c, dump)
	s := goroutines.Summarize(c)
	want := map[string]int{"chan receive": 4000, "sync.Mutex.Lock": 2000, "select": 2000, "sync.WaitGroup.Wait": 2000}
	for r, w := range want {
		if s.Wait[r] != w {
			t.Errorf("%s: %d goroutines, want %d (all: %v)", r, s.Wait[r], w, s.Wait)
		}
	}
	gs := goroutines.Group(c)
	if gs[0].Count != 4000 || !strings.HasPrefix(gs[0].WaitReason, "chan receive") {
		t.Errorf("largest group: %d %q", gs[0].Count, gs[0].WaitReason)
	}
}

// BenchmarkCensus measures the whole census (validation, worker child,
// frame-pointer reader, decoding) of a 10k-goroutine core made at
// benchmark time. corpus/bench/core.sh compares 100k against dlv.
func BenchmarkCensus(b *testing.B) {
	const n = 10000
	exe := testcore.BuildIn(b, tmpDir, fmt.Sprintf(manySrc, n))
	p := testcore.Start(b, exe, "ready")
	core := p.Gcore(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := Census(context.Background(), core, exe, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if c.Total() < n {
			b.Fatalf("census of %d goroutines", c.Total())
		}
		goroutines.Group(c)
	}
}

// TestQuitCoreIsNotACrash: kill -QUIT under GOTRACEBACK=crash writes a core
// the operator asked for; the census must not report a crash.
func TestQuitCoreIsNotACrash(t *testing.T) {
	testcore.CheckCoreDumps(t)
	exe := testcore.BuildIn(t, tmpDir, fmt.Sprintf(manySrc, 20))
	p := testcore.StartCoreDumping(t, exe, "ready", "GOTRACEBACK=crash")
	p.Quit(t)
	core := p.FindCore(t)
	c, err := Census(context.Background(), core, exe, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Crash != nil {
		t.Errorf("SIGQUIT core reported as a crash: %+v", c.Crash)
	}
	if c.Total() < 20 {
		t.Errorf("census of %d goroutines", c.Total())
	}
}
