// Command crash is an order-fulfilment worker pool. Orders arrive over
// HTTP and from a feed; workers aggregate per-warehouse totals. Orders for
// a warehouse opened after start-up reach a worker whose per-warehouse
// table was never allocated, and the write into that nil map panics in the
// worker goroutine, taking the process down (with GOTRACEBACK=crash the
// runtime then aborts and the kernel writes a core).
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coroner/coroner/corpus/scenarios/internal/service"
)

type order struct {
	id        int
	warehouse string
	sku       string
	qty       int
}

// ledger keeps quantities per warehouse and SKU.
type ledger struct {
	mu     sync.Mutex
	totals map[string]map[string]int
}

func newLedger(warehouses ...string) *ledger {
	l := &ledger{totals: map[string]map[string]int{}}
	for _, w := range warehouses {
		l.totals[w] = map[string]int{}
	}
	return l
}

// record adds one order to its warehouse's table. A warehouse that was
// not known at start-up has no table: the bug this scenario ships.
func (l *ledger) record(o order) {
	l.mu.Lock()
	defer l.mu.Unlock()
	bySKU := l.totals[o.warehouse]
	bySKU[o.sku] += o.qty
}

func fulfil(orders <-chan order, l *ledger) {
	for o := range orders {
		l.record(o)
	}
}

func main() {
	after := flag.Duration("crash-after", 0, "when orders for a new warehouse start (default: 6s mild, 3s severe)")
	cfg := service.Flags()
	if *after == 0 {
		*after = service.Pick(cfg.Severity, 6*time.Second, 3*time.Second)
	}
	l := newLedger("ams", "fra", "lhr")
	orders := make(chan order, 256)
	for range service.Pick(cfg.Severity, 4, 16) {
		go fulfil(orders, l)
	}
	start := time.Now()
	mux := http.NewServeMux()
	mux.HandleFunc("/order", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.URL.Query().Get("id"))
		orders <- order{id: id, warehouse: "fra", sku: "sku-" + strconv.Itoa(id%50), qty: 1}
		fmt.Fprintln(w, "accepted")
	})
	service.Serve(cfg, mux, func(ctx context.Context, base string) {
		service.Load(ctx, base+"/order?id=3", 4, 2*time.Millisecond)
		go func() {
			for id := 0; ctx.Err() == nil; id++ {
				wh := []string{"ams", "fra", "lhr"}[id%3]
				if time.Since(start) > *after && id%100 == 99 {
					wh = "waw"
				}
				orders <- order{id: id, warehouse: wh, sku: "sku-" + strconv.Itoa(id%50), qty: 1 + id%3}
				time.Sleep(100 * time.Microsecond)
			}
		}()
	})
}
