// Command gc_stw is a product-catalog search service whose request path
// rebuilds a pointer-rich result tree for every query while a large
// pointer-heavy index stays live: allocation churn with a low GOGC makes
// the collector run many times a second and take most of the CPU, and
// every cycle stops the world twice.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"

	"github.com/coroner/coroner/corpus/scenarios/internal/service"
)

// product is one catalog entry; every field is a pointer the collector
// must trace.
type product struct {
	sku      *string
	title    *string
	tags     []*string
	related  []*product
	category *category
}

type category struct {
	name   string
	parent *category
	items  []*product
}

// catalog is the live index: large and made of pointers, so every GC
// cycle has a lot to mark.
type catalog struct {
	mu    sync.RWMutex
	roots []*category
}

func buildCatalog(n int) *catalog {
	c := &catalog{}
	var prev *product
	for i := 0; i < n; i += 100 {
		cat := &category{name: "cat-" + strconv.Itoa(i)}
		if len(c.roots) > 0 {
			cat.parent = c.roots[len(c.roots)-1]
		}
		for j := 0; j < 100; j++ {
			sku := fmt.Sprintf("SKU-%08d", i+j)
			title := "item " + sku
			p := &product{sku: &sku, title: &title, category: cat}
			for k := 0; k < 3; k++ {
				t := "t" + strconv.Itoa((i+j+k)%97)
				p.tags = append(p.tags, &t)
			}
			if prev != nil {
				p.related = append(p.related, prev)
			}
			prev = p
			cat.items = append(cat.items, p)
		}
		c.roots = append(c.roots, cat)
	}
	return c
}

// search materializes a fresh result tree for one query: every hit is
// copied into new objects, which is where the allocation churn comes from.
func (c *catalog) search(q int, width int) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var results []*product
	for i := 0; i < width; i++ {
		cat := c.roots[(q+i)%len(c.roots)]
		for _, p := range cat.items {
			cp := &product{sku: p.sku, title: p.title, category: cat}
			cp.tags = make([]*string, len(p.tags))
			copy(cp.tags, p.tags)
			label := *p.title + "/" + cat.name
			cp.title = &label
			results = append(results, cp)
		}
	}
	n := 0
	for _, r := range results {
		n += len(*r.title)
	}
	return n
}

func main() {
	gogc := flag.Int("gogc", -1, "GOGC to set (default: 50 mild, 5 severe)")
	cfg := service.Flags()
	if *gogc < 0 {
		*gogc = service.Pick(cfg.Severity, 50, 5)
	}
	debug.SetGCPercent(*gogc)
	cat := buildCatalog(service.Pick(cfg.Severity, 100_000, 100_000))
	width := service.Pick(cfg.Severity, 20, 60)

	mux := http.NewServeMux()
	mux.HandleFunc("/search", func(w http.ResponseWriter, r *http.Request) {
		q, _ := strconv.Atoi(r.URL.Query().Get("q"))
		fmt.Fprintf(w, "%d\n", cat.search(q, width))
	})
	service.Serve(cfg, mux, func(ctx context.Context, base string) {
		service.Load(ctx, base+"/search?q=7", service.Pick(cfg.Severity, 4, 8), 0)
		// Background re-ranking jobs churn the same way without HTTP.
		for w := range service.Pick(cfg.Severity, 1, 2) {
			go func() {
				for q := w; ctx.Err() == nil; q++ {
					cat.search(q, width)
				}
			}()
		}
	})
}
