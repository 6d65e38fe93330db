package analyzetest

import (
	"context"
	"crypto/sha256"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// Workloads of garbage-collection shapes: what drives the collector
// (explicit collections, a memory limit) and the healthy services every
// rule must leave alone. Like the others, none is named after what the
// analyzers look for.

// frames is a pool of 2 MiB scratch buffers for requests.
var frames = sync.Pool{New: func() any { b := make([]byte, 2<<20); return &b }}

// governRequests serves requests that each take a scratch buffer from a
// sync.Pool, while a memory governor keeps the heap "small" by calling
// runtime.GC whenever the heap is above a budget the service always
// exceeds. Each handler waits 50 ms for its next request, longer than
// two of the governor's collections take, so a pool cycle (primary cache
// to victim at one collection, dropped at the next) mostly empties the
// pool between two requests on the same P.
func governRequests(ctx context.Context) func() {
	served := spawn(ctx, 4, func(ctx context.Context, i int) {
		b := frames.Get().(*[]byte)
		for j := range 4096 {
			(*b)[j] = byte(i + j)
		}
		sum := sha256.Sum256((*b)[:4096])
		(*b)[0] = sum[0]
		frames.Put(b)
		time.Sleep(50 * time.Millisecond)
	})
	governed := spawn(ctx, 1, func(ctx context.Context, i int) {
		enforceMemoryBudget(256 << 10)
		time.Sleep(time.Millisecond)
	})
	return func() { served(); governed() }
}

// enforceMemoryBudget collects when the heap exceeds budget bytes.
func enforceMemoryBudget(budget uint64) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc > budget {
		runtime.GC()
	}
}

// node is one entry of a pointer-linked cache: marking walks every one.
type node struct {
	next *node
	key  int
	//lint:ignore U1000 the payload gives each node a realistic size
	val [48]byte
}

// cacheHead keeps the cache live.
//
//lint:ignore U1000 written to keep the cache reachable, never read
var cacheHead *node

// fillCacheUnderLimit runs with GOGC=off under a memory limit, the
// "let the limit decide" setting, and keeps a large pointer-linked cache
// live while request handling allocates: the heap sits at the goal the
// limit sets, so the collector starts a new cycle as soon as the last ends.
func fillCacheUnderLimit(ctx context.Context) func() {
	var head *node
	for i := range 1_000_000 {
		head = &node{next: head, key: i}
	}
	cacheHead = head
	// The limit sits a few MiB above what the process maps once the cache
	// is built, as an operator sizing GOMEMLIMIT to the working set would.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	oldPercent := debug.SetGCPercent(-1)
	oldLimit := debug.SetMemoryLimit(int64(ms.Sys-ms.HeapReleased) + 8<<20)
	wait := spawn(ctx, 2, func(ctx context.Context, i int) {
		for j := range 1000 {
			b := make([]byte, 1024+j%2048)
			b[0] = byte(j)
			sink[i%len(sink)][j%len(sink[0])] = b
		}
	})
	return func() {
		wait()
		cacheHead = nil
		debug.SetMemoryLimit(oldLimit)
		debug.SetGCPercent(oldPercent)
	}
}
