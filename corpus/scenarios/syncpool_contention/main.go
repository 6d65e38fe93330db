// Command syncpool_contention is a log-shipping service that renders
// records into pooled scratch buffers. Records are rendered on one set of
// goroutines and the buffers returned from another, so every Get finds its
// processor's pool empty and steals from the others; the shipper's
// allocation rate and low GOGC run the collector many times a second, and
// each cycle empties the pools into the victim cache and then drops them,
// so the pool's New allocates a fresh 4 KiB buffer again and again.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/coroner/coroner/corpus/scenarios/internal/service"
)

// scratchSize is one rendering buffer.
const scratchSize = 4 << 10

var scratch = sync.Pool{New: func() any {
	b := make([]byte, 0, scratchSize)
	return &b
}}

var shipped atomic.Int64

// retry is the shipper's last record, kept for a resend. Nothing reads it:
// the copy is made for the garbage it leaves.
//
//lint:ignore U1000 written for the allocation, never read
var retry string

// render fills a pooled buffer with one record.
func render(seq int) *[]byte {
	bp := scratch.Get().(*[]byte)
	b := (*bp)[:0]
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, `,"msg":"request served","level":"info"}`...)
	*bp = b
	return bp
}

// ship returns a batch of buffers to the pool from a different goroutine
// than the one that took them.
func ship(in <-chan []*[]byte) {
	for batch := range in {
		for i, bp := range batch {
			// The shipper keeps a copy of every retryEvery-th record for
			// its retry window: short-lived garbage that keeps the
			// collector cycling and so the pools emptying.
			if i%retryEvery == 0 {
				retry = string(*bp)
			}
			shipped.Add(int64(len(*bp)))
			scratch.Put(bp)
		}
	}
}

// retryEvery is how often a shipped record is copied for a retry.
const retryEvery = 8

// batchSize is how many records a producer renders before handing the
// batch to a shipper.
const batchSize = 64

func main() {
	gogc := flag.Int("gogc", -1, "GOGC to set (default: 50 mild, 5 severe)")
	cfg := service.Flags()
	if *gogc < 0 {
		*gogc = service.Pick(cfg.Severity, 50, 5)
	}
	debug.SetGCPercent(*gogc)
	producers := service.Pick(cfg.Severity, 8, 64)
	queue := make(chan []*[]byte, 64)
	mux := http.NewServeMux()
	mux.HandleFunc("/log", func(w http.ResponseWriter, r *http.Request) {
		queue <- []*[]byte{render(len(r.URL.Path))}
		fmt.Fprintln(w, "ok")
	})
	service.Serve(cfg, mux, func(ctx context.Context, base string) {
		for range service.Pick(cfg.Severity, 2, 8) {
			go ship(queue)
		}
		for p := range producers {
			go func() {
				for seq := p; ctx.Err() == nil; {
					batch := make([]*[]byte, 0, batchSize)
					for range batchSize {
						batch = append(batch, render(seq))
						seq += producers
					}
					queue <- batch
				}
			}()
		}
		service.Load(ctx, base+"/log", 2, 0)
	})
}
