package bundle

import (
	"bytes"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func everything(*Manifest, Artifact) bool { return true }

// cachedFiles lists the regular files under dir, temporary ones included,
// but not the cache's eviction lock.
func cachedFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != "lock" {
			files = append(files, p)
		}
		return nil
	})
	return files
}

func TestVerifyExtractFillsTheCache(t *testing.T) {
	path, m := smallArchive(t)
	cache := t.TempDir()
	t.Setenv("CORONER_CACHE_DIR", cache)
	if err := VerifyExtract(path, everything); err != nil {
		t.Fatal(err)
	}
	if got := cachedFiles(t, cache); len(got) != len(m.Artifacts) {
		t.Fatalf("cache holds %q, want one file per artifact (%d)", got, len(m.Artifacts))
	}
	a, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, art := range m.Artifacts {
		want := filepath.Join(cache, entriesDir, art.SHA256)
		st, err := os.Stat(want)
		if err != nil {
			t.Fatalf("%s: not extracted: %v", art.Path, err)
		}
		p, err := a.Path(art)
		if err != nil || p != want {
			t.Fatalf("%s: Path = %q, %v; want the extracted %q", art.Path, p, err, want)
		}
		if st2, _ := os.Stat(p); !os.SameFile(st, st2) {
			t.Errorf("%s: Path extracted the member again", art.Path)
		}
		rc, err := a.Open(art)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		c, _ := os.ReadFile(p)
		if err != nil || !bytes.Equal(b, c) {
			t.Errorf("%s: cached copy differs from the member (%v)", art.Path, err)
		}
	}
	// A second pass finds everything cached and only verifies.
	if err := VerifyExtract(path, everything); err != nil {
		t.Fatal(err)
	}
	if got := cachedFiles(t, cache); len(got) != len(m.Artifacts) {
		t.Errorf("after a second pass the cache holds %q", got)
	}
}

// VerifyExtract accepts exactly what Verify accepts, and leaves nothing in
// the cache for an archive it rejects.
func TestVerifyExtractRejectsWhatVerifyRejects(t *testing.T) {
	path, _ := smallArchive(t)
	b, _ := os.ReadFile(path)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.tar.zst")
	var variants [][]byte
	for _, end := range frameEnds(t, b)[:len(frameEnds(t, b))-1] {
		variants = append(variants, b[:end])
	}
	rng := rand.New(rand.NewPCG(3, 4))
	n := 120
	if testing.Short() {
		n = 30
	}
	for range n {
		c := append([]byte(nil), b...)
		c[rng.IntN(len(c))] ^= 1 << rng.IntN(8)
		variants = append(variants, c)
	}
	variants = append(variants, append(append([]byte(nil), b...), "garbage"...))
	for i, v := range variants {
		os.WriteFile(bad, v, 0o644)
		cache := filepath.Join(dir, "cache", strconv.Itoa(i))
		t.Setenv("CORONER_CACHE_DIR", cache)
		verr := Verify(bad)
		err := VerifyExtract(bad, everything)
		if (verr == nil) != (err == nil) {
			t.Errorf("variant %d: Verify says %v, VerifyExtract says %v", i, verr, err)
		}
		if err != nil {
			if got := cachedFiles(t, cache); len(got) > 0 {
				t.Errorf("variant %d rejected (%v) but left %q in the cache", i, err, got)
			}
		}
	}
}
