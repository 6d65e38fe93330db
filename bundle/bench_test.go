package bundle

import (
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

// archiveDirB archives the files in in into a fresh archive and returns
// its path.
func archiveDirB(b *testing.B, in string) string {
	b.Helper()
	out := filepath.Join(b.TempDir(), "o.tar.zst")
	archiveDir(b, in, out, "")
	return out
}

// BenchmarkVerify measures re-hashing a 64 MiB archive.
func BenchmarkVerify(b *testing.B) {
	in := b.TempDir()
	const size = 64 << 20
	benchInput(b, in, size)
	out := archiveDirB(b, in)
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		if err := Verify(out); err != nil {
			b.Fatal(err)
		}
	}
}
