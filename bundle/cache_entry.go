package bundle

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"
)

// fillFunc writes an entry's bytes into the empty file f and returns
// their hex SHA-256.
type fillFunc func(f *os.File) (string, error)

// get returns the entry for key (a hex SHA-256) of size bytes (at
// entryPath), opened and holding a shared lock that keeps it from eviction until the file is
// closed. A missing or untrusted entry is written by fill first, once
// however many processes ask for it at the same time: the others wait for
// the writer and use its entry. name names the artifact in errors.
func (c *Cache) get(key string, size int64, name string, fill fillFunc) (*os.File, error) {
	if !validKey(key) {
		return nil, fmt.Errorf("%s: malformed SHA-256 %q", name, key)
	}
	if f := c.use(key, size); f != nil {
		return f, nil
	}
	af, err := c.claim(key, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if f := c.use(key, size); f != nil { // written while we waited
		af.Abort()
		return f, nil
	}
	return c.write(af, key, size, name, fill)
}

// use opens a complete, trusted entry with a shared lock and marks it
// used; nil if there is none.
func (c *Cache) use(key string, size int64) *os.File {
	p := c.entryPath(key)
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	// An evictor holds its exclusive lock only while it unlinks.
	if err := flock(f, lockShared); err != nil && !noLocks(err) {
		f.Close()
		return nil
	}
	st, err := f.Stat()
	if err != nil || !sameFile(f, p) || !st.Mode().IsRegular() || st.Size() != size || !cached(p, key) {
		f.Close()
		return nil
	}
	now := time.Now()
	os.Chtimes(p, now, now) // last use; best effort on a cache shared by users
	return f
}

// claimPoll is how often claim looks again at a partial file another
// process is writing: extracting anything takes longer than the 50 ms it
// adds at most, and polling costs one flock call.
const claimPoll = 50 * time.Millisecond

// claim opens and locks key's partial file for writing; with wait unset
// it returns nil if another process is writing it, else it waits for that
// writer. A partial file a dead writer left is taken over and emptied.
//
// It never blocks in flock: the file a writer holds becomes the entry
// when renamed, and waiting for that lock would wait for every run using
// the entry.
func (c *Cache) claim(key string, wait bool) (*AtomicFile, error) {
	p := c.partialPath(key)
	for {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("cache: creating %s: %w", p, err)
		}
		for {
			err = flock(f, lockExclusive|lockTry)
			if !errors.Is(err, errLocked) || !wait || !sameFile(f, p) {
				break
			}
			time.Sleep(claimPoll)
		}
		switch {
		case errors.Is(err, errLocked) && !wait:
			f.Close()
			return nil, nil
		case errors.Is(err, errLocked):
			f.Close() // renamed into the entry, or removed: look again
			continue
		case err != nil && !noLocks(err):
			f.Close()
			return nil, fmt.Errorf("cache: locking %s: %w", p, err)
		case !sameFile(f, p): // its writer renamed it, or a sweep removed it
			f.Close()
			continue
		}
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, fmt.Errorf("cache: emptying %s: %w", p, err)
		}
		return &AtomicFile{File: f, dest: c.entryPath(key)}, nil
	}
}

// write fills the claimed partial file and renames it into place, after
// making room for it, and returns it open for use. The writer's exclusive
// lock is converted to a shared one in one flock call rather than dropped
// and taken again, so an eviction has no window worth the name to take
// the fresh entry before its first use, however far over the bound it is
// (flock(2) does not promise the conversion atomic). A full
// disk is reported with the file, the free space and the size; nothing
// partial is left.
func (c *Cache) write(af *AtomicFile, key string, size int64, name string, fill fillFunc) (*os.File, error) {
	defer af.Abort()
	c.makeRoom(size)
	sum, err := fill(af.File)
	if err != nil {
		if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
			af.Abort() // the free space to report is without it
			return nil, fmt.Errorf("%s: extracting into the cache as %s: %w (%s free there, the artifact is %s; see coroner cache prune and --cache-max)",
				name, af.Name(), err, humanize.IBytes(uint64(max(0, freeSpace(c.dir)))), humanize.IBytes(uint64(size)))
		}
		return nil, fmt.Errorf("%s: extracting into the cache as %s: %w", name, af.Name(), err)
	}
	if sum != key {
		return nil, fmt.Errorf("%s: SHA-256 %s, manifest says %s: %w", name, sum, key, ErrCorrupt)
	}
	if err := publishCached(af); err != nil {
		return nil, fmt.Errorf("%s: cache: %w", name, err)
	}
	f := af.File
	if err := flock(f, lockShared); err != nil && !noLocks(err) {
		f.Close()
		return nil, fmt.Errorf("%s: cache: %w", name, err)
	}
	return f, nil
}

// warnOversized warns that the entry f, in use, is over the bound by
// itself: it stays for this run and is evicted once unused.
func (c *Cache) warnOversized(f *os.File, name string) {
	limit, _, err := c.Limit()
	if err != nil {
		return
	}
	if st, err := f.Stat(); err == nil && diskUsage(st) > limit {
		c.warn(fmt.Sprintf("%s: %s extracted into the cache at %s is larger than its bound (%s, --cache-max %s): kept for this run only",
			name, humanize.IBytes(uint64(diskUsage(st))), c.dir, humanize.IBytes(uint64(limit)), c.bound))
	}
}
