// Command gc_forced is a report-rendering service with a "memory
// governor": a goroutine that reads the heap size and calls runtime.GC
// whenever it is above a budget set below the service's working set (a
// pointer-rich cache of customer records plus the requests in flight),
// so it forces a collection, each marking the whole cache, every few
// milliseconds. Every forced cycle also
// empties the sync.Pool of render buffers (poolCleanup), so nearly every
// Get falls through to New and allocates a fresh buffer: the pool's New
// tops the allocation profile, but the governor is what must change.
package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"time"

	"github.com/coroner/coroner/corpus/scenarios/internal/service"
)

// bufSize is a render buffer's capacity: large enough that allocating
// one per request is what the heap profile shows.
const bufSize = 256 << 10

var buffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, bufSize)) }}

// render writes one report into a pooled buffer.
func render(id int) int {
	b := buffers.Get().(*bytes.Buffer)
	defer buffers.Put(b)
	b.Reset()
	for i := range 2000 {
		b.WriteString("row ")
		b.WriteString(strconv.Itoa(id*31 + i))
		b.WriteByte('\n')
	}
	return b.Len()
}

// record is one cached customer: pointers the collector must trace.
type record struct {
	name  *string
	tags  []*string
	links []*record
}

// buildCache makes n linked records, kept live for the service's life.
func buildCache(n int) []*record {
	rs := make([]*record, n)
	for i := range rs {
		name := "customer-" + strconv.Itoa(i)
		t := strconv.Itoa(i % 97)
		rs[i] = &record{name: &name, tags: []*string{&t}}
		if i > 0 {
			rs[i].links = []*record{rs[i-1], rs[i/2]}
		}
	}
	return rs
}

// governor keeps the heap under a budget by forcing collections.
type governor struct {
	budget uint64
	every  time.Duration
	sample []metrics.Sample
}

func newGovernor(budget uint64, every time.Duration) *governor {
	return &governor{budget: budget, every: every,
		sample: []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}}
}

// enforce checks the heap every tick and forces a collection when it is
// over budget.
func (g *governor) enforce(ctx context.Context) {
	t := time.NewTicker(g.every)
	defer t.Stop()
	for ctx.Err() == nil {
		<-t.C
		metrics.Read(g.sample)
		if g.sample[0].Value.Uint64() > g.budget {
			runtime.GC()
		}
	}
}

func main() {
	cfg := service.Flags()
	cache := buildCache(service.Pick(cfg.Severity, 100_000, 300_000))
	// The working set (the cache plus the buffers of the requests in
	// flight) is tens of MiB; the budget sits below it, so the governor
	// fires on every tick.
	gov := newGovernor(1<<20, service.Pick(cfg.Severity, 50*time.Millisecond, 5*time.Millisecond))

	mux := http.NewServeMux()
	mux.HandleFunc("/report", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.URL.Query().Get("id"))
		fmt.Fprintf(w, "%d %s\n", render(id), *cache[id%len(cache)].name)
	})
	service.Serve(cfg, mux, func(ctx context.Context, base string) {
		go gov.enforce(ctx)
		service.Load(ctx, base+"/report?id=7", service.Pick(cfg.Severity, 4, 8), 0)
	})
}
