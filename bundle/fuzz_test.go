package bundle

import (
	"bytes"
	"compress/gzip"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzSniff demands that content sniffing never panics and always names a
// known kind, whatever the bytes.
func FuzzSniff(f *testing.F) {
	_, seeds := seedFiles(f)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		k, _, _ := Sniff(bytes.NewReader(data), int64(len(data)))
		if k == "" {
			t.Fatal("empty kind")
		}
	})
}

// fuzzLimits keep a fuzzed ingest small.
var fuzzLimits = Limits{MaxTotalBytes: 8 << 20, MaxMemberBytes: 4 << 20, MaxMembers: 64}

// FuzzIngest feeds arbitrary bytes as one input file: tar, zip, compressed
// and plain inputs all go through the expanders. It must never panic,
// never write outside its output directory, and leave either a verified
// archive or nothing.
func FuzzIngest(f *testing.F) {
	names, seeds := seedFiles(f)
	var entries []tarEntry
	var zents []zipEntry
	for i, s := range seeds {
		if len(s) > 4096 {
			s = s[:4096]
		}
		entries = append(entries, reg(names[i], string(s)))
		zents = append(zents, zreg(names[i], string(s)))
		f.Add(s)
	}
	tarball := mkTar(f, entries...)
	f.Add(tarball)
	f.Add(mkZip(f, zents...))
	var gz bytes.Buffer
	g := gzip.NewWriter(&gz)
	g.Write(tarball)
	g.Close()
	f.Add(gz.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		in, out := t.TempDir(), t.TempDir()
		os.WriteFile(filepath.Join(in, "input"), data, 0o644)
		dest := filepath.Join(out, "o.tar.zst")
		_, err := Ingest(context.Background(), IngestOptions{Inputs: []string{filepath.Join(in, "input")}, Output: dest, Limits: fuzzLimits})
		ents, _ := os.ReadDir(out)
		if err != nil {
			if len(ents) != 0 {
				t.Fatalf("failed ingest left %d entries", len(ents))
			}
			return
		}
		if err := Verify(dest); err != nil {
			t.Fatalf("fresh archive fails verify: %v", err)
		}
	})
}

// FuzzArchiveReader demands that opening, verifying and extracting an
// arbitrary file never panics and never writes outside the destination.
func FuzzArchiveReader(f *testing.F) {
	names, seeds := seedFiles(f)
	in := f.TempDir()
	for i, s := range seeds {
		os.WriteFile(filepath.Join(in, names[i]), s, 0o644)
	}
	arch := filepath.Join(f.TempDir(), "seed.tar.zst")
	if _, err := Ingest(context.Background(), IngestOptions{Inputs: []string{in}, Output: arch}); err != nil {
		f.Fatal(err)
	}
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
