package main

import (
	"encoding/json"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// diskUse sums the allocated blocks of every file under dir.
func diskUse(dir string) (int64, int) {
	var total int64
	n := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if st, err := d.Info(); err == nil {
				total += st.Sys().(*syscall.Stat_t).Blocks * 512
				n++
			}
		}
		return nil
	})
	return total, n
}

// TestCacheCommand analyzes the frozen corpus archives (real binaries,
// perf.data and a crash core delve reads from an extracted file) under a
// small --cache-max, checking the bound after each, then lists, prunes
// and clears the cache.
func TestCacheCommand(t *testing.T) {
	archives, _ := filepath.Glob("../../corpus/testdata/*.tar.zst")
	foreign, _ := filepath.Glob("../../corpus/testdata/foreign/*.tar.zst")
	archives = append(archives, foreign...)
	if len(archives) < 3 {
		t.Fatalf("corpus archives: %q", archives)
	}
	exe := buildCoroner(t)
	cache := t.TempDir()
	t.Setenv("CORONER_CACHE_DIR", cache)
	// Under every binary (6.7–9.6 MiB) and the 135 MiB crash core: each is
	// extracted for its run and evicted at its end, and a binary's
	// extraction in the analyzing process warns.
	const bound = 4 << 20
	warned := false
	for _, a := range archives {
		_, errOut, code := runCoroner(t, exe, "--cache-max", "4MiB", "analyze", a)
		if code != exitOK && code != exitFindings {
			t.Fatalf("analyze %s: exit %d\n%s", a, code, errOut)
		}
		warned = warned || strings.Contains(errOut, "larger than its bound")
		if use, n := diskUse(filepath.Join(cache, "entries")); use > bound {
			t.Errorf("after %s the cache holds %d bytes in %d files, over --cache-max %d", a, use, n, bound)
		}
	}
	// perf reads the files it had extracted before the archive closes,
	// even when the bound evicts them all at the close.
	if out, errOut, code := runCoroner(t, exe, "--cache-max", "0", "perf", archives[0]); code != exitOK || !strings.Contains(out, "%") {
		t.Errorf("perf under --cache-max 0: exit %d\n%s\n%s", code, out, errOut)
	}
	if !warned {
		t.Error("no warning that an entry is larger than the bound")
	}

	// Under the default bound the entries stay.
	if _, errOut, code := runCoroner(t, exe, "analyze", archives[0]); code != exitOK && code != exitFindings {
		t.Fatalf("analyze %s: exit %d\n%s", archives[0], code, errOut)
	}
	out, errOut, code := runCoroner(t, exe, "cache", "ls", "--json")
	var ls struct {
		Dir     string `json:"dir"`
		Entries []struct {
			Key  string `json:"key"`
			Disk int64  `json:"disk"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &ls); code != exitOK || err != nil || ls.Dir != cache || len(ls.Entries) == 0 {
		t.Fatalf("cache ls --json: exit %d, %v\n%s\n%s", code, err, out, errOut)
	}
	if out, _, code = runCoroner(t, exe, "cache", "ls"); code != exitOK || !strings.Contains(out, ls.Entries[0].Key) {
		t.Errorf("cache ls: exit %d\n%s", code, out)
	}
	if out, errOut, code = runCoroner(t, exe, "cache", "prune", "--max", "1KiB"); code != exitOK || !strings.Contains(out, "evicted") {
		t.Errorf("cache prune --max 1KiB: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, n := diskUse(filepath.Join(cache, "entries")); n != 0 {
		t.Errorf("after prune --max 1KiB the cache holds %d files", n)
	}
	runCoroner(t, exe, "analyze", archives[0])
	if out, errOut, code = runCoroner(t, exe, "cache", "clear"); code != exitOK {
		t.Errorf("cache clear: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, n := diskUse(filepath.Join(cache, "entries")); n != 0 {
		t.Errorf("after clear the cache holds %d files", n)
	}
	for _, args := range [][]string{
		{"cache", "prune", "--max", "lots"},
		{"--cache-max", "200%", "cache", "ls"},
		{"--cache-max", "huge", "analyze", archives[0]},
		{"cache", "ls", "extra"},
	} {
		if _, errOut, code := runCoroner(t, exe, args...); code != exitUsage {
			t.Errorf("coroner %v: exit %d, want %d\n%s", args, code, exitUsage, errOut)
		}
	}
}
