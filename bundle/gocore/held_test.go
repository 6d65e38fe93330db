package gocore

import (
	"fmt"
	"maps"
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

// semaSrc parks goroutines on every kind of semaphore the runtime's
// tables hold — a mutex, an RWMutex's readers and writer, a WaitGroup —
// and one on a sync.Cond, whose notify list is not one of them.
const semaSrc = `package main

import (
	"fmt"
	"sync"
	"time"
)

func main() {
	var mu sync.Mutex
	mu.Lock()
	for i := 0; i < 3; i++ {
		go func() { mu.Lock() }()
	}
	var rw sync.RWMutex
	rw.RLock()
	go func() { rw.Lock() }()
	time.Sleep(20 * time.Millisecond)
	for i := 0; i < 2; i++ {
		go func() { rw.RLock() }()
	}
	var wg sync.WaitGroup
	wg.Add(1)
	for i := 0; i < 2; i++ {
		go func() { wg.Wait() }()
	}
	cond := sync.NewCond(&sync.Mutex{})
	go func() {
		cond.L.Lock()
		cond.Wait()
	}()
	time.Sleep(100 * time.Millisecond)
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// TestSemaWaitersEitherWay: the census finds which semaphore each waiter
// parks on from its g.waiting (Go 1.26 on) and, as for earlier runtimes,
// by following the semaphore tables' chains; on the same core both give
// every goroutine the same lock and held locks. The waiters of each
// semaphore share its address; the cond waiter has none.
func TestSemaWaitersEitherWay(t *testing.T) {
	exe := testcore.BuildIn(t, tmpDir, semaSrc)
	p := testcore.Start(t, exe, "ready")
	corePath := p.Gcore(t)
	type lock struct {
		addr uint64
		held string
	}
	read := func(version string) (map[int64]lock, map[string]map[uint64]int) {
		gover, _ := goversion.Parse(version)
		fast, err := fastCensus(corePath, exe, gover)
		if err != nil {
			t.Fatal(err)
		}
		locks, byReason := map[int64]lock{}, map[string]map[uint64]int{}
		for _, g := range fast.census.Goroutines {
			locks[g.ID] = lock{g.LockAddr, fmt.Sprint(g.HeldLocks)}
			if g.System || g.Status != "waiting" {
				continue
			}
			if byReason[g.WaitReason] == nil {
				byReason[g.WaitReason] = map[uint64]int{}
			}
			byReason[g.WaitReason][g.LockAddr]++
		}
		return locks, byReason
	}
	fromG, byReason := read("go1.26")
	if fromChains, _ := read("go1.25"); !maps.Equal(fromG, fromChains) {
		t.Errorf("locks from g.waiting %v, from the chains %v", fromG, fromChains)
	}
	want := map[string]int{"sync.Mutex.Lock": 3, "sync.RWMutex.Lock": 1, "sync.RWMutex.RLock": 2, "sync.WaitGroup.Wait": 2}
	for reason, n := range want {
		addrs := byReason[reason]
		if len(addrs) != 1 || addrs[0] != 0 {
			t.Errorf("%s: waiters by lock %v, want %d on one", reason, addrs, n)
		}
		for _, c := range addrs {
			if c != n {
				t.Errorf("%s: %d waiters, want %d", reason, c, n)
			}
		}
	}
	if c := byReason["sync.Cond.Wait"]; len(c) != 1 || c[0] != 1 {
		t.Errorf("cond waiter by lock %v, want one on none", c)
	}
}
