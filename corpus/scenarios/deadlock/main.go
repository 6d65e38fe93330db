// Command deadlock is an inventory service that moves stock between
// warehouses. A transfer locks the source warehouse and then the
// destination; two transfers in opposite directions each hold one lock and
// wait forever for the other. Everything that later touches either
// warehouse queues behind them, and the audit pipeline fed by the stuck
// transfers blocks on its channel — while the HTTP server (and pprof)
// keeps answering.
package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coroner/coroner/corpus/scenarios/internal/service"
)

type warehouse struct {
	name  string
	mu    sync.Mutex
	stock map[string]int
}

type event struct {
	from, to, sku string
	qty           int
}

// transfer moves qty of sku, locking source then destination — the lock
// order depends on the direction of the move.
func transfer(from, to *warehouse, sku string, qty int, audit chan<- event, hold time.Duration) {
	from.mu.Lock()
	defer from.mu.Unlock()
	from.stock[sku] -= qty
	time.Sleep(hold) // the real service writes a journal entry here
	to.mu.Lock()
	defer to.mu.Unlock()
	to.stock[sku] += qty
	audit <- event{from.name, to.name, sku, qty}
}

// count reads one warehouse's stock under its lock.
func count(w *warehouse, sku string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stock[sku]
}

// auditor drains audit events in batches; it waits for a full batch that
// the stuck transfers will never complete.
func auditor(in <-chan event, batch int, out chan<- []event) {
	var buf []event
	for e := range in {
		buf = append(buf, e)
		if len(buf) == batch {
			out <- buf
			buf = nil
		}
	}
}

func main() {
	cfg := service.Flags()
	a := &warehouse{name: "north", stock: map[string]int{"widget": 1 << 20}}
	b := &warehouse{name: "south", stock: map[string]int{"widget": 1 << 20}}
	audit := make(chan event)
	batches := make(chan []event) // nobody reads batches: the exporter was never started
	go auditor(audit, 16, batches)
	mux := http.NewServeMux()
	mux.HandleFunc("/stock", func(w http.ResponseWriter, r *http.Request) {
		wh := a
		if r.URL.Query().Get("w") == "south" {
			wh = b
		}
		fmt.Fprintln(w, count(wh, "widget"))
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	hold := service.Pick(cfg.Severity, 20*time.Millisecond, 2*time.Millisecond)
	service.Serve(cfg, mux, func(ctx context.Context, base string) {
		for i := range service.Pick(cfg.Severity, 4, 32) {
			go func() {
				for ctx.Err() == nil {
					if i%2 == 0 {
						transfer(a, b, "widget", 1, audit, hold)
					} else {
						transfer(b, a, "widget", 1, audit, hold)
					}
				}
			}()
		}
		// Stock queries: each blocks forever once a warehouse is stuck,
		// so the client times out and a new request is sent.
		service.Load(ctx, base+"/stock?w=north", service.Pick(cfg.Severity, 4, 16), 10*time.Millisecond)
		service.Load(ctx, base+"/healthz", 1, 100*time.Millisecond)
	})
}
