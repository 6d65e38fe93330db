// Command healthy is a price-quote service under steady load: each request
// parses its query, computes a quote over a small in-memory rate table and
// renders JSON. It is busy, but its CPU goes to its own work, garbage
// collection runs at the default pace, and nothing waits on locks, timers
// or channels for long — the baseline every analyzer must leave alone.
package main

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/coroner/coroner/corpus/scenarios/internal/service"
)

// rates is read-only after start-up, so requests share it without locks.
var rates = func() map[string]float64 {
	m := map[string]float64{}
	for i := range 500 {
		m["r"+strconv.Itoa(i)] = 1 + float64(i)/1000
	}
	return m
}()

// archive holds yesterday's rendered quotes for audit lookups: a live heap
// of realistic size, which keeps the collector at its normal pace.
var archive = func() [][]byte {
	a := make([][]byte, 20_000)
	for i := range a {
		a[i] = make([]byte, 2048)
		a[i][0] = byte(i)
	}
	return a
}()

type quote struct {
	Route string    `json:"route"`
	Price float64   `json:"price"`
	Legs  []float64 `json:"legs"`
	Audit int       `json:"audit"`
}

// price compounds the route's rate over its legs.
func price(route string, legs int) quote {
	q := quote{Route: route}
	r := rates[route]
	p := 100.0
	for i := 0; i < legs; i++ {
		p = p*r + math.Sqrt(float64(i+1))
		q.Legs = append(q.Legs, p)
	}
	q.Price = math.Round(p*100) / 100
	return q
}

func main() {
	cfg := service.Flags()
	legs := service.Pick(cfg.Severity, 200, 2000)
	mux := http.NewServeMux()
	mux.HandleFunc("/quote", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		q := price(r.URL.Query().Get("route"), legs)
		q.Audit = int(archive[len(q.Legs)%len(archive)][0])
		_ = json.NewEncoder(w).Encode(q)
	})
	service.Serve(cfg, mux, func(ctx context.Context, base string) {
		service.Load(ctx, base+"/quote?route=r42", service.Pick(cfg.Severity, 4, 8), 2*time.Millisecond)
	})
}
