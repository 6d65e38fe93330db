package bundle

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzArchiveReader demands that opening, verifying and extracting an
// arbitrary file never panics and never writes outside the destination.
func FuzzArchiveReader(f *testing.F) {
	names, seeds := seedFiles(f, filepath.Join("ingest", "testdata", "seed"))
	in := f.TempDir()
	for i, s := range seeds {
		os.WriteFile(filepath.Join(in, names[i]), s, 0o644)
	}
	arch := filepath.Join(f.TempDir(), "seed.tar.zst")
	archiveDir(f, in, arch, "")
	b, _ := os.ReadFile(arch)
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		root := t.TempDir()
		p := filepath.Join(root, "a.tar.zst")
		os.WriteFile(p, data, 0o644)
		IsArchive(p)
		verr := Verify(p)
		// CheckSealed checks less than Verify: whatever Verify accepts, it
		// accepts.
		if cerr := CheckSealed(p); verr == nil && cerr != nil {
			t.Errorf("Verify accepts the archive, CheckSealed refuses it: %v", cerr)
		}
		if a, err := Open(p); err == nil {
			defer a.Close()
			t.Setenv("CORONER_CACHE_DIR", filepath.Join(root, "cache"))
			for _, art := range a.Manifest().Artifacts {
				if rc, err := a.Open(art); err == nil {
					rc.Close()
				}
			}
		}
		dest := filepath.Join(root, "x")
		Extract(p, dest, nil)
		filepath.WalkDir(root, func(q string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !d.Type().IsRegular() {
				t.Errorf("extract created a non-regular file %s", q)
			}
			if !strings.HasPrefix(q, root) {
				t.Errorf("file outside the test directory: %s", q)
			}
			return nil
		})
	})
}

// seedFiles returns the fuzz seeds in dir (the heads of real artifacts,
// which bundle/ingest keeps and regenerates), by name, in sorted order.
func seedFiles(tb testing.TB, dir string) (names []string, data [][]byte) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatalf("fuzz seeds: %v", err)
	}
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			tb.Fatal(err)
		}
		data = append(data, b)
	}
	return names, data
}
