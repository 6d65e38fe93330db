package ingest

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
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
		if _, err := Run(context.Background(), Options{Inputs: []string{in}, Output: out}); err != nil {
			b.Fatal(err)
		}
	}
}

// wordData returns size bytes of log-like text (words and numbers): no
// zero bytes, so a frame decoded to zeros or shifted shows, and
// compressible enough that frames hold real zstd blocks.
func wordData(seed uint64, size int) []byte {
	words := []string{"request ", "timeout ", "deadline ", "connection ", "mutex ", "channel ", "goroutine ", "heap "}
	rng := rand.New(rand.NewPCG(seed, seed+1))
	buf := make([]byte, 0, size+64)
	for len(buf) < size {
		buf = append(buf, words[rng.IntN(len(words))]...)
		if rng.IntN(4) == 0 {
			buf = strconv.AppendUint(buf, rng.Uint64()>>24, 10)
			buf = append(buf, ' ')
		}
	}
	return buf[:size]
}
