package serve

import (
	"fmt"
	"strings"
	"sync"

	"github.com/coroner/coroner/internal/index"
)

// cacheEntries bounds the listings kept: a team's handful of people
// paging and filtering, a few dozen views at a time.
const cacheEntries = 64

// groupCache keeps recent signature listings. A listing is keyed by its
// filter, its page and every analyzer set with the time its newest run
// was indexed: adding or re-indexing any run moves a set's time, so a kept
// listing is never stale, and checking costs the few index lookups
// AnalyzerSets makes.
type groupCache struct {
	mu      sync.Mutex
	entries map[string]cachedGroups
	order   []string // keys, oldest first
}

type cachedGroups struct {
	groups []index.SignatureGroup
	total  int
}

// cacheKey identifies a listing under the index's current sets.
func cacheKey(f index.SignatureFilter, p index.GroupPage, sets []index.SetSummary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q|%q|%q|%q|%d|%d|%q|%v|%q|%d|%d|%d", f.Signatures, f.SignaturePrefix, f.Cause, f.Module,
		f.Since.UnixNano(), f.Until.UnixNano(), f.AnalyzerSet, f.Latest, p.Sort, p.Limit, p.Offset, p.ChartDays)
	for _, s := range sets {
		fmt.Fprintf(&b, "|%q@%d", s.AnalyzerSet, s.LastIndexed.UnixNano())
	}
	return b.String()
}

func (c *groupCache) get(key string) (cachedGroups, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e, ok
}

func (c *groupCache) put(key string, e cachedGroups) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cachedGroups{}
	}
	if _, ok := c.entries[key]; ok {
		return
	}
	if len(c.order) == cacheEntries {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	c.entries[key] = e
	c.order = append(c.order, key)
}
