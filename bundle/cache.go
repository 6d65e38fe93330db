package bundle

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
)

// The extraction cache holds the artifacts that are read as files (a core
// for delve, a binary for symbols, a perf.data) once extracted from their
// archive. Its layout under the cache directory:
//
//	entries/<SHA-256>           a complete entry, keyed by the artifact's
//	                            content hash (the manifest's and trailer's),
//	                            so the same core in two archives is stored once
//	entries/.<SHA-256>.partial  an entry being extracted, locked by its writer
//	lock                        serializes evictions
//
// A process using an entry holds a shared flock on it until it closes the
// archive (or dies); eviction takes the lock exclusively, without waiting,
// so an entry in use is never removed. An entry's modification time is its
// last use (Path touches it): access times are unreliable under relatime
// and noatime. Entries are evicted least recently used first, whenever one
// is added and when an archive that used the cache is closed, until their
// disk use is within the bound.

// Environment variables that configure the cache; the coroner command's
// --cache-max sets the second, and worker children inherit both.
const (
	CacheDirEnv = "CORONER_CACHE_DIR"
	CacheMaxEnv = "CORONER_CACHE_MAX"
)

// DefaultCacheMax is the bound when none is given: a quarter of the space
// available to the cache (free space on its file system plus what the
// cache already holds, so the bound does not shrink as the cache fills).
// A quarter leaves three quarters of that space to the service and its
// data on a shared disk, and still holds the largest benchmarked core
// extracted (3.7 GiB on disk) wherever 15 GiB is available; an entry that
// does not fit is still extracted for its run (see Cache).
const DefaultCacheMax = "25%"

// Cache is the extraction cache in one directory under a size bound. An
// entry larger than the bound is still extracted and used by the run that
// needs it, with a warning, and evicted as soon as no run uses it: refusing
// it would make a small bound fail every analysis of a large core.
type Cache struct {
	dir   string
	bound CacheBound
	// warn receives the cache's warnings (an entry over the bound).
	warn func(string)
}

// CacheBound is a cache size bound: a number of bytes, or a percentage of
// the space available to the cache.
type CacheBound struct {
	Bytes   int64
	Percent float64 // used when > 0
}

// ParseCacheBound reads a bound such as "2GiB", "500MB", "0" or "25%".
func ParseCacheBound(s string) (CacheBound, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !(f > 0 && f <= 100) {
			return CacheBound{}, fmt.Errorf("cache bound %q: want a percentage in (0, 100]", s)
		}
		return CacheBound{Percent: f}, nil
	}
	n, err := humanize.ParseBytes(s)
	if err != nil || n > 1<<62 {
		return CacheBound{}, fmt.Errorf("cache bound %q: want a size such as 10GiB, or a percentage such as 25%%", s)
	}
	return CacheBound{Bytes: int64(n)}, nil
}

// String is the bound as ParseCacheBound reads it.
func (b CacheBound) String() string {
	if b.Percent > 0 {
		return strconv.FormatFloat(b.Percent, 'f', -1, 64) + "%"
	}
	return humanize.IBytes(uint64(b.Bytes))
}

// CacheDir is the cache directory: $CORONER_CACHE_DIR, else coroner/ in
// the user cache directory.
func CacheDir() (string, error) {
	if d := os.Getenv(CacheDirEnv); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (set %s): %w", CacheDirEnv, err)
	}
	return filepath.Join(d, "coroner"), nil
}

// OpenCache opens the cache in dir under bound, creating the directory.
func OpenCache(dir string, bound CacheBound) (*Cache, error) {
	if err := os.MkdirAll(filepath.Join(dir, entriesDir), 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return &Cache{dir: dir, bound: bound, warn: stderrWarning}, nil
}

// DefaultCache opens the cache the environment names: CacheDir, bounded by
// $CORONER_CACHE_MAX or DefaultCacheMax.
func DefaultCache() (*Cache, error) {
	dir, err := CacheDir()
	if err != nil {
		return nil, err
	}
	spec := os.Getenv(CacheMaxEnv)
	if spec == "" {
		spec = DefaultCacheMax
	}
	bound, err := ParseCacheBound(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CacheMaxEnv, err)
	}
	return OpenCache(dir, bound)
}

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.dir }

// Bound is the cache's bound as configured.
func (c *Cache) Bound() CacheBound { return c.bound }

// entriesDir holds the entries, apart from an earlier layout's
// <archive digest>/ directories beside it.
const entriesDir = "entries"

func (c *Cache) entryPath(key string) string { return filepath.Join(c.dir, entriesDir, key) }

func (c *Cache) partialPath(key string) string {
	return filepath.Join(c.dir, entriesDir, "."+key+partialEx)
}

// validKey reports whether key is a hex SHA-256, as entries are named.
func validKey(key string) bool {
	return len(key) == 64 && strings.Trim(key, "0123456789abcdef") == ""
}

// stderrWarning writes a warning to stderr, as a JSON line when
// CORONER_LOG_FORMAT asks for JSON (the coroner command sets it from
// --log-format), so bots reading stderr get JSON only.
func stderrWarning(msg string) {
	if os.Getenv("CORONER_LOG_FORMAT") == "json" {
		b, _ := json.Marshal(map[string]string{"level": "warning", "warning": msg})
		fmt.Fprintf(os.Stderr, "%s\n", b)
		return
	}
	fmt.Fprintf(os.Stderr, "coroner: warning: %s\n", msg)
}
