package bundle

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func dirNames(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// Names tell coroner's temporaries from other files: only those are ever
// swept.
func TestClassifyLeftover(t *testing.T) {
	for name, want := range map[string]leftoverKind{
		".inc.tar.zst.tmp-p123-456":                ownedLeftover,
		".coroner-stage-p9-1":                      ownedLeftover,
		"." + strings.Repeat("ab", 32) + partialEx: ownedLeftover,
		".inc.tar.zst.tmp-1234":                    legacyLeftover,
		".coroner-stage-77":                        legacyLeftover,
		".out.pb.gz.tmp42":                         legacyLeftover,
		"inc.tar.zst":                              notLeftover,
		".inc.tar.zst.tmp-notes":                   notLeftover,
		".bashrc":                                  notLeftover,
		".coroner-stage-":                          notLeftover,
		".x.partial":                               notLeftover,
		"inc.tar.zst.tmp-p1-2":                     notLeftover,
	} {
		if got := classifyLeftover(name); got != want {
			t.Errorf("%q: %d, want %d", name, got, want)
		}
	}
}

// An earlier coroner's unlocked temporaries go only once an hour old.
func TestSweepLegacyByAge(t *testing.T) {
	dir := t.TempDir()
	fresh, old := filepath.Join(dir, ".a.tar.zst.tmp-1"), filepath.Join(dir, ".coroner-stage-2")
	os.WriteFile(fresh, nil, 0o644)
	os.Mkdir(old, 0o755)
	os.WriteFile(filepath.Join(old, "x"), nil, 0o644)
	past := time.Now().Add(-2 * legacyAge)
	os.Chtimes(old, past, past)
	removed, err := SweepLeftovers(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != old {
		t.Errorf("removed %q, want only the old stage directory", removed)
	}
}

// Extract writes each member through a temporary linked into place: a
// killed extract's temporary is swept by the next one into the same
// directory, a live one's is not, and a member that fails its check
// leaves nothing.
func TestExtractSweepsAndLeavesNoPartial(t *testing.T) {
	path, m := smallArchive(t)
	dest := t.TempDir()
	var art Artifact
	for _, a := range m.Artifacts {
		if a.Size > art.Size {
			art = a
		}
	}
	dir := filepath.Join(dest, filepath.Dir(art.Path))
	os.MkdirAll(dir, 0o755)
	dead := filepath.Join(dir, "."+filepath.Base(art.Path)+".tmp-p999999-1")
	os.WriteFile(dead, []byte("part of a member"), 0o644)
	live := filepath.Join(dir, ".other.tmp-p1-2")
	lf, _ := os.Create(live)
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if err := Extract(path, dest, []string{art.Path}); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(dir); len(got) != 2 || got[0] != ".other.tmp-p1-2" || got[1] != filepath.Base(art.Path) {
		t.Errorf("after extract %s holds %q, want the member and the live temporary", dir, got)
	}
	// A member whose bytes do not match the manifest leaves nothing.
	b, _ := os.ReadFile(path)
	bad := filepath.Join(t.TempDir(), "bad.tar.zst")
	for _, end := range frameEnds(t, b) {
		if end > len(b)/2 {
			c := bytes.Clone(b)
			c[end-20] ^= 0x40
			os.WriteFile(bad, c, 0o644)
			break
		}
	}
	dest2 := t.TempDir()
	if err := Extract(bad, dest2, nil); err == nil {
		t.Fatal("extract of an altered archive succeeded")
	}
	filepath.WalkDir(dest2, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(d.Name(), tempMark) {
			t.Errorf("failed extract left %s", p)
		}
		return nil
	})
}
