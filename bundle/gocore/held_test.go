package gocore

import (
	"testing"

	"github.com/go-delve/delve/pkg/goversion"

	"github.com/coroner/coroner/internal/testcore"
)

// heldSrc: two goroutines take two mutexes in opposite orders and block
// for good; a third holds a mutex while blocked on a channel; a fourth
// waits on that mutex. A GC after they block stamps g.waitsince.
const heldSrc = `package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

type pair struct {
	name string
	mu   sync.Mutex
}

func cross(first, second *pair, ready *sync.WaitGroup) {
	first.mu.Lock()
	defer first.mu.Unlock()
	ready.Done()
	ready.Wait()
	second.mu.Lock()
	defer second.mu.Unlock()
}

func keep(p *pair, never chan int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	<-never
}

func main() {
	a, b, c := &pair{name: "a"}, &pair{name: "b"}, &pair{name: "c"}
	var ready sync.WaitGroup
	ready.Add(2)
	go cross(a, b, &ready)
	go cross(b, a, &ready)
	never := make(chan int)
	go keep(c, never)
	time.Sleep(50 * time.Millisecond)
	go func() { c.mu.Lock() }()
	time.Sleep(100 * time.Millisecond)
	runtime.GC()
	time.Sleep(200 * time.Millisecond)
	runtime.GC()
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// TestHeldLocks: each crossing goroutine holds the lock the other waits
// for; the channel-blocked holder holds the third; the lone waiter holds
// nothing; the runtime's wait clock reads at least the sleep between the
// two GCs.
func TestHeldLocks(t *testing.T) {
	exe := testcore.BuildIn(t, tmpDir, heldSrc)
	p := testcore.Start(t, exe, "ready")
	corePath := p.Gcore(t)
	gover, _ := goversion.Parse("go1.26")
	fast, err := fastCensus(corePath, exe, gover)
	if err != nil {
		t.Fatal(err)
	}
	var crossing, keepers, waiters int
	var waitOf = map[uint64]uint64{}
	for _, g := range fast.census.Goroutines {
		if g.System || g.Status != "waiting" {
			continue
		}
		fn := ""
		for _, f := range g.Frames {
			if len(f.Func) > 5 && f.Func[:5] == "main." {
				fn = f.Func
				break
			}
		}
		switch {
		case fn == "main.cross":
			crossing++
			if len(g.HeldLocks) != 1 || g.LockAddr == 0 {
				t.Errorf("goroutine %d in cross: waits on %#x, holds %#x", g.ID, g.LockAddr, g.HeldLocks)
				continue
			}
			waitOf[g.HeldLocks[0]] = g.LockAddr
		case fn == "main.keep":
			keepers++
			if len(g.HeldLocks) != 1 {
				t.Errorf("the channel-blocked holder holds %#x", g.HeldLocks)
			}
		case fn == "main.main.func1":
			waiters++
			if len(g.HeldLocks) != 0 {
				t.Errorf("the lone waiter holds %#x", g.HeldLocks)
			}
		}
		if fn != "" && fn != "main.main" && g.WaitNanos < 200e6 {
			t.Errorf("goroutine %d in %s waited %d ns by the runtime's clock, want ≥ 200ms", g.ID, fn, g.WaitNanos)
		}
	}
	if crossing != 2 || keepers != 1 || waiters != 1 {
		t.Fatalf("census: %d crossing, %d keepers, %d waiters", crossing, keepers, waiters)
	}
	// A cycle: the lock each holds is the one the other waits for.
	for held, waits := range waitOf {
		if waitOf[waits] != held {
			t.Errorf("no cycle: %#x → %#x, %#x → %#x", held, waits, waits, waitOf[waits])
		}
	}
}
