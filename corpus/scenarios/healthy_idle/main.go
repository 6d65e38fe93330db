// Command healthy_idle is a service between requests: an HTTP server
// nobody calls and a housekeeping loop that prunes an empty cache every
// second. Its profiles hold a handful of samples and its trace a few
// events — too little to conclude anything, which is what every analyzer
// must say.
package main

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/coroner/coroner/corpus/scenarios/internal/service"
)

// cache is pruned by housekeeping; nothing fills it while idle.
var cache = struct {
	sync.Mutex
	m map[string]time.Time
}{m: map[string]time.Time{}}

// prune drops entries older than ttl.
func prune(ttl time.Duration) {
	cache.Lock()
	defer cache.Unlock()
	for k, t := range cache.m {
		if time.Since(t) > ttl {
			delete(cache.m, k)
		}
	}
}

func main() {
	cfg := service.Flags()
	every := service.Pick(cfg.Severity, time.Second, 100*time.Millisecond)
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	service.Serve(cfg, mux, func(ctx context.Context, base string) {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				prune(time.Minute)
			}
		}
	})
}
