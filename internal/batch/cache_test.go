package batch

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/coroner/coroner/bundle"
)

// seekAllEnv makes the worker children (see TestMain) extract every
// artifact ahead with --verify.
const seekAllEnv = "CORONER_TEST_SEEK_ALL"

// The bound reaches the children: with --verify each child extracts the
// seekable artifacts into the shared cache, which keeps them under the
// default bound and evicts them under a zero one. A malformed bound is
// refused before any child starts.
func TestBatchPassesCacheBound(t *testing.T) {
	f := getFixtures(t)
	t.Setenv(seekAllEnv, "1")
	entries := func(cache string) int {
		ents, _ := os.ReadDir(filepath.Join(cache, "entries"))
		return len(ents)
	}
	for _, c := range []struct {
		max  string
		kept bool
	}{{"", true}, {"0", false}} {
		cache := t.TempDir()
		t.Setenv(bundle.CacheDirEnv, cache)
		o := testOptions(t.TempDir(), 2)
		o.Verify, o.CacheMax = true, c.max
		if _, _, err := run(t, f.good[:3], nil, o); err != nil {
			t.Fatalf("--cache-max %q: %v", c.max, err)
		}
		if n := entries(cache); (n > 0) != c.kept {
			t.Errorf("--cache-max %q: the cache holds %d entries after the batch", c.max, n)
		}
	}
	o := testOptions(t.TempDir(), 1)
	o.CacheMax = "lots"
	if _, _, err := run(t, f.good[:1], nil, o); err == nil {
		t.Error("a malformed cache bound was accepted")
	}
}
