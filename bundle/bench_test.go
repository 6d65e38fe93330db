package bundle

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// benchInput writes size bytes of log-like, moderately compressible data
// (words and numbers, as a Go heap full of strings compresses) into a file
// in dir.
func benchInput(b *testing.B, dir string, size int) {
	if err := os.WriteFile(filepath.Join(dir, "heap.bin"), wordData(5, size), 0o644); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkIngest measures ingest throughput (hashing, compressing on all
// cores, fsync) of 64 MiB; corpus/bench/archive.sh compares a multi-GiB
// incident with tar | zstd.
func BenchmarkIngest(b *testing.B) {
	in := b.TempDir()
	const size = 64 << 20
	benchInput(b, in, size)
	out := filepath.Join(b.TempDir(), "o.tar.zst")
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		os.Remove(out)
		if _, err := Ingest(context.Background(), IngestOptions{Inputs: []string{in}, Output: out}); err != nil {
			b.Fatal(err)
		}
	}
}

// ingestDir ingests the files under in into a fresh archive and returns
// its path.
func ingestDir(b *testing.B, in string) string {
	b.Helper()
	out := filepath.Join(b.TempDir(), "o.tar.zst")
	if _, err := Ingest(context.Background(), IngestOptions{Inputs: []string{in}, Output: out}); err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkVerify measures re-hashing a 64 MiB archive.
func BenchmarkVerify(b *testing.B) {
	in := b.TempDir()
	const size = 64 << 20
	benchInput(b, in, size)
	out := ingestDir(b, in)
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		if err := Verify(out); err != nil {
			b.Fatal(err)
		}
	}
}
