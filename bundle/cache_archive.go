package bundle

import (
	"fmt"
	"os"
)

// openCache returns the archive's extraction cache, the one the
// environment names (DefaultCache), opened on first use.
func (a *Archive) openCache() (*Cache, error) {
	if a.cache == nil {
		c, err := DefaultCache()
		if err != nil {
			return nil, err
		}
		a.cache = c
	}
	return a.cache, nil
}

// cachedPath is Path: the artifact's cache entry, extracted when missing,
// held (locked against eviction) until the archive is closed.
func (a *Archive) cachedPath(art Artifact) (string, error) {
	a.heldMu.Lock()
	_, ok := a.held[art.SHA256]
	c, err := a.openCache()
	a.heldMu.Unlock()
	switch {
	case ok:
		return c.entryPath(art.SHA256), nil
	case err != nil:
		return "", err
	}
	name := fmt.Sprintf("%s: member %s", a.path, QuoteName(art.Path))
	f, err := c.get(art.SHA256, art.Size, name, func(w *os.File) (string, error) {
		r, err := a.memberData(art)
		if err != nil {
			return "", err
		}
		defer r.Close()
		return extractSparse(w, r, art.Size)
	})
	if err != nil {
		return "", err
	}
	a.heldMu.Lock()
	defer a.heldMu.Unlock()
	if _, ok := a.held[art.SHA256]; ok { // a concurrent Path got it too
		f.Close()
		return c.entryPath(art.SHA256), nil
	}
	if a.held == nil {
		a.held = map[string]*os.File{}
	}
	a.held[art.SHA256] = f
	c.warnOversized(f, name)
	return c.entryPath(art.SHA256), nil
}

// releaseCache lets go of the entries Path returned and, if there were
// any, evicts down to the bound: an entry that was over the bound by
// itself goes now.
func (a *Archive) releaseCache() error {
	a.heldMu.Lock()
	defer a.heldMu.Unlock()
	if len(a.held) == 0 {
		return nil
	}
	for k, f := range a.held {
		f.Close()
		delete(a.held, k)
	}
	if _, err := a.cache.Prune(-1); err != nil {
		return fmt.Errorf("%s: %w", a.path, err)
	}
	return nil
}
