package bundle

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/dustin/go-humanize"
)

// CacheEntry is one entry of the extraction cache, as Cache.List shows it.
type CacheEntry struct {
	// Key is the artifact's SHA-256; for an entry of the earlier layout,
	// the archive digest its directory is named after.
	Key string `json:"key"`
	// Path is the entry's file (or the earlier layout's directory).
	Path string `json:"path"`
	// Size is the artifact's size; Disk the space its (sparse) copy takes,
	// which is what the bound counts.
	Size int64 `json:"size"`
	Disk int64 `json:"disk"`
	// LastUse is when a run last used it.
	LastUse time.Time `json:"last_use"`
	// InUse: a running coroner holds it.
	InUse bool `json:"in_use"`
	// Legacy marks a directory of the earlier per-archive layout, which
	// nothing reads any more.
	Legacy bool `json:"legacy,omitempty"`
}

// PruneResult says what an eviction did.
type PruneResult struct {
	Evicted   []CacheEntry // removed
	KeptInUse []CacheEntry // would have been evicted but are in use
	Disk      int64        // disk use of what remains
	Limit     int64        // the bound pruned to
}

// Limit resolves the bound to bytes, and says how it was reached.
func (c *Cache) Limit() (int64, string, error) {
	if c.bound.Percent <= 0 {
		return c.bound.Bytes, "--cache-max " + c.bound.String(), nil
	}
	ents, err := c.List()
	if err != nil {
		return 0, "", err
	}
	var used int64
	for _, e := range ents {
		used += e.Disk
	}
	free := freeSpace(c.dir)
	if free < 0 {
		return 0, "", fmt.Errorf("cache: cannot read the free space of %s's file system", c.dir)
	}
	limit := int64(float64(free+used) * c.bound.Percent / 100)
	return limit, fmt.Sprintf("%s of the %s available to the cache (%s free on its file system + %s it holds)",
		c.bound, humanize.IBytes(uint64(free+used)), humanize.IBytes(uint64(free)), humanize.IBytes(uint64(used))), nil
}

// List returns the cache's entries, least recently used first. It probes
// whether each is in use by trying its lock.
func (c *Cache) List() ([]CacheEntry, error) {
	var out []CacheEntry
	dir := filepath.Join(c.dir, entriesDir)
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("cache: %w", err)
	}
	for _, e := range ents {
		if !validKey(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		st, err := e.Info()
		if err != nil {
			continue // evicted meanwhile
		}
		out = append(out, CacheEntry{Key: e.Name(), Path: p, Size: st.Size(), Disk: diskUsage(st), LastUse: st.ModTime(), InUse: inUse(p)})
	}
	top, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	for _, e := range top {
		if e.IsDir() && validKey(e.Name()) {
			out = append(out, legacyEntry(filepath.Join(c.dir, e.Name())))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LastUse.Before(out[j].LastUse) })
	return out, nil
}

// inUse reports whether a process holds a lock on the entry at p.
func inUse(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	return flock(f, lockExclusive|lockTry) != nil
}

// legacyEntry sums a directory of the earlier layout. Its processes took
// no locks: it counts as in use until unmodified for legacyAge.
func legacyEntry(dir string) CacheEntry {
	e := CacheEntry{Key: filepath.Base(dir), Path: dir, Legacy: true}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if st, err := d.Info(); err == nil {
			if !d.IsDir() {
				e.Size += st.Size()
				e.Disk += diskUsage(st)
			}
			if st.ModTime().After(e.LastUse) {
				e.LastUse = st.ModTime()
			}
		}
		return nil
	})
	e.InUse = time.Since(e.LastUse) < legacyAge
	return e
}

// Prune evicts entries until their disk use is at most limit (negative:
// the bound): entries larger than the limit by themselves first, then the
// least recently used. Entries in use stay. It also removes what killed
// extractions left.
func (c *Cache) Prune(limit int64) (PruneResult, error) {
	if limit < 0 {
		l, _, err := c.Limit()
		if err != nil {
			return PruneResult{}, err
		}
		limit = l
	}
	return c.evict(limit, false)
}

// Clear evicts every entry not in use, and the earlier layout's
// directories.
func (c *Cache) Clear() (PruneResult, error) { return c.evict(0, true) }

// evict removes entries, under the cache's eviction lock, until at most
// limit bytes remain (with all set, every entry it can).
func (c *Cache) evict(limit int64, all bool) (PruneResult, error) {
	res := PruneResult{Limit: limit}
	lock, err := os.OpenFile(filepath.Join(c.dir, "lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return res, fmt.Errorf("cache: %w", err)
	}
	defer lock.Close()
	if err := flock(lock, lockExclusive); err != nil && !noLocks(err) {
		return res, fmt.Errorf("cache: %w", err)
	}
	sweepQuiet(filepath.Join(c.dir, entriesDir))
	ents, err := c.List()
	if err != nil {
		return res, err
	}
	sort.SliceStable(ents, func(i, j int) bool { return ents[i].Disk > limit && ents[j].Disk <= limit })
	var total int64
	for _, e := range ents {
		total += e.Disk
	}
	for _, e := range ents {
		if total <= limit && !all {
			break
		}
		var gone bool
		switch {
		case e.Legacy && (all || !e.InUse):
			gone = os.RemoveAll(e.Path) == nil
		case !e.Legacy:
			gone = removePathIfUnowned(e.Path)
		}
		if gone {
			total -= e.Disk
			res.Evicted = append(res.Evicted, e)
		} else {
			res.KeptInUse = append(res.KeptInUse, e)
		}
	}
	res.Disk = total
	return res, nil
}

// makeRoom evicts ahead of adding an entry of size bytes, so that the
// cache stays within its bound once it is added (an entry larger than the
// bound makes room for itself alone). Failures are left to the write.
func (c *Cache) makeRoom(size int64) {
	limit, _, err := c.Limit()
	if err != nil {
		return
	}
	c.evict(max(0, limit-min(size, limit)), false)
}
