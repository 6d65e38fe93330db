package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/coroner/coroner/bundle"
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
		_, err := Run(context.Background(), Options{Inputs: []string{filepath.Join(in, "input")}, Output: dest, Limits: fuzzLimits})
		ents, _ := os.ReadDir(out)
		if err != nil {
			if len(ents) != 0 {
				t.Fatalf("failed ingest left %d entries", len(ents))
			}
			return
		}
		if err := bundle.Verify(dest); err != nil {
			t.Fatalf("fresh archive fails verify: %v", err)
		}
	})
}
