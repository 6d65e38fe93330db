package bundle

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// benchMemberSize is the member the random-access benchmarks read: big
// enough that extracting it costs what it costs for a core.
const benchMemberSize = 256 << 20

// benchMember ingests benchMemberSize bytes of log-like data and returns
// the archive and its one artifact.
func benchMember(b *testing.B) (*Archive, Artifact) {
	in := b.TempDir()
	benchInput(b, in, benchMemberSize)
	out := archiveDirB(b, in)
	a, err := Open(out)
	if err != nil {
		b.Fatal(err)
	}
	return a, a.Manifest().Artifacts[0]
}

// scatteredReads does what a core reader does to answer a question: n
// reads of 8 KiB at places spread over the core.
func scatteredReads(b *testing.B, r io.ReaderAt, size int64, n int) {
	rng := rand.New(rand.NewPCG(1, 2))
	p := make([]byte, 8<<10)
	for range n {
		if _, err := r.ReadAt(p, rng.Int64N(size-int64(len(p)))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMemberReader compares reading scattered 8 KiB windows of a
// 256 MiB member (64 frames) through OpenMember with extracting it
// through Path first. The first OpenMember of an Archive costs a walk of
// the compressed bytes (open, on a fresh Archive each time); later ones
// find the member's header (reopen); reads cost a frame decode per
// distinct frame touched. Path decodes, hashes and writes the whole
// member, whatever is read. It also measures reading the member from
// start to end through OpenMember.
func BenchmarkMemberReader(b *testing.B) {
	a, art := benchMember(b)
	b.Run("open", func(b *testing.B) {
		for range b.N {
			fresh, err := Open(a.File())
			if err != nil {
				b.Fatal(err)
			}
			m, err := fresh.OpenMember(art)
			if err != nil {
				b.Fatal(err)
			}
			m.Close()
			fresh.Close()
		}
	})
	b.Run("reopen", func(b *testing.B) {
		for range b.N {
			m, err := a.OpenMember(art)
			if err != nil {
				b.Fatal(err)
			}
			m.Close()
		}
	})
	for _, n := range []int{8, 64} {
		b.Run(fmt.Sprintf("windows=%d/OpenMember", n), func(b *testing.B) {
			for range b.N {
				m, err := a.OpenMember(art)
				if err != nil {
					b.Fatal(err)
				}
				scatteredReads(b, m, m.Size(), n)
				m.Close()
			}
		})
	}
	b.Run("windows=64/Path", func(b *testing.B) {
		cache := b.TempDir()
		b.Setenv("CORONER_CACHE_DIR", cache)
		for range b.N {
			os.RemoveAll(filepath.Join(cache, a.Digest()))
			p, err := a.Path(art)
			if err != nil {
				b.Fatal(err)
			}
			f, err := os.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			scatteredReads(b, f, art.Size, 64)
			f.Close()
		}
	})
	b.Run("sequential", func(b *testing.B) {
		b.SetBytes(art.Size)
		p := make([]byte, 1<<20)
		for range b.N {
			m, err := a.OpenMember(art)
			if err != nil {
				b.Fatal(err)
			}
			for off := int64(0); off < m.Size(); off += int64(len(p)) {
				if _, err := m.ReadAt(p, off); err != nil && err != io.EOF {
					b.Fatal(err)
				}
			}
			m.Close()
		}
	})
}
