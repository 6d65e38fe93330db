package analyzetest

import (
	"context"
	"crypto/sha256"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// A workload starts goroutines that run until ctx ends and returns a
// function that waits for them. Each one exhibits one pathology of a Go
// service the way production code produces it; none is named after what
// the analyzers look for, so a test that passes shows the rules recognize
// the runtime's behavior, not these functions.
type workload func(ctx context.Context) (wait func())

var workloads = map[string]workload{
	"healthy":  hashRequests,
	"gc":       buildGarbage,
	"netpoll":  pollTinyTimers,
	"syncpool": shareBuffers,
	"lock":     updateSharedMap,
	"counters": countPerWorker,
	"yield":    awaitFlag,
	"governor": governRequests,
	"limit":    fillCacheUnderLimit,
	"orders":   serveOrders,
	"conns":    echoConnections,
}

// spawn runs n copies of body until ctx ends.
func spawn(ctx context.Context, n int, body func(ctx context.Context, i int)) func() {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				body(ctx, i)
			}
		}()
	}
	return wg.Wait
}

// hashRequests is a healthy CPU-bound service: user code does the work,
// allocation is modest, nothing waits long.
func hashRequests(ctx context.Context) func() {
	return spawn(ctx, 2, func(ctx context.Context, i int) {
		buf := make([]byte, 64<<10)
		for j := range buf {
			buf[j] = byte(i + j)
		}
		for range 20 {
			sum := sha256.Sum256(buf)
			buf[0] = sum[0]
		}
		time.Sleep(time.Millisecond)
	})
}

// sink keeps allocations reachable long enough to be real garbage: 16
// slots for each of the four allocating goroutines, so none writes
// another's.
var sink [4][16][]byte

// buildGarbage allocates short-lived objects at a high rate under a small
// GOGC, so the collector runs back to back.
func buildGarbage(ctx context.Context) func() {
	debug.SetGCPercent(10)
	return spawn(ctx, 4, func(ctx context.Context, i int) {
		for j := range 1000 {
			b := make([]byte, 512+j%4096)
			b[0] = byte(j)
			sink[i%len(sink)][j%len(sink[0])] = b
		}
	})
}

// pollTinyTimers has many goroutines sleeping for microseconds: every
// sleep arms a timer, parks the goroutine, and sends the scheduler through
// its idle path to find the next runnable goroutine.
func pollTinyTimers(ctx context.Context) func() {
	return spawn(ctx, 64, func(ctx context.Context, i int) {
		t := time.NewTimer(time.Microsecond)
		<-t.C
	})
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// shareBuffers takes buffers from a sync.Pool in batches on eight
// goroutines and returns them from two others, so the Puts fill the
// returners' per-P caches while the takers' stay empty: the takers' Gets
// miss locally and steal from other Ps (getSlow, popTail), and whatever
// sits in a pool when a collection comes moves to its victim cache.
func shareBuffers(ctx context.Context) func() {
	batches := make(chan []*[]byte, 16)
	taken := spawn(ctx, 8, func(ctx context.Context, i int) {
		batch := make([]*[]byte, 0, 64)
		for range 64 {
			b := bufPool.Get().(*[]byte)
			(*b)[0] = byte(i)
			batch = append(batch, b)
		}
		select {
		case batches <- batch:
		case <-ctx.Done():
		}
	})
	returned := spawn(ctx, 2, func(ctx context.Context, i int) {
		select {
		case batch := <-batches:
			for _, b := range batch {
				bufPool.Put(b)
			}
		case <-ctx.Done():
		}
	})
	return func() { taken(); returned() }
}

var (
	tableMu sync.Mutex
	table   = map[int]int{}
)

// updateSharedMap has every goroutine update one map under one mutex, and
// does slow work while holding it.
func updateSharedMap(ctx context.Context) func() {
	return spawn(ctx, 16, func(ctx context.Context, i int) {
		tableMu.Lock()
		recomputeTable(i)
		tableMu.Unlock()
	})
}

// recomputeTable is the critical section: CPU work under the lock.
func recomputeTable(i int) {
	var h [32]byte
	for j := range 200 {
		h = sha256.Sum256(h[:])
		table[(i+j)%128] += int(h[0])
	}
}

// counter is one worker's own tally behind its own mutex.
type counter struct {
	mu sync.Mutex
	n  map[int]int
}

// countPerWorker has each goroutine update its own mutex-guarded map in a
// tight loop: lock and unlock all the time, never waiting for each other.
func countPerWorker(ctx context.Context) func() {
	cs := make([]*counter, 2)
	for i := range cs {
		cs[i] = &counter{n: map[int]int{}}
	}
	return spawn(ctx, len(cs), func(ctx context.Context, i int) {
		c := cs[i]
		for j := range 1000 {
			c.mu.Lock()
			c.n[j%128]++
			c.mu.Unlock()
		}
	})
}

// started is a flag nothing ever sets.
var started atomic.Bool

// awaitFlag has goroutines wait for a flag by yielding in a loop.
func awaitFlag(ctx context.Context) func() {
	return spawn(ctx, 8, func(ctx context.Context, i int) {
		for range 1000 {
			if started.Load() {
				return
			}
			runtime.Gosched()
		}
	})
}
