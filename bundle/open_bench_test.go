package bundle

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// lateArchive ingests early members of frameBlock bytes each and one
// slightly larger member, which packOrder stores after them all, and
// returns the archive's file with the late and the first artifact.
func lateArchive(b *testing.B, early int) (string, Artifact, Artifact) {
	in := b.TempDir()
	for i := range early {
		if err := os.WriteFile(filepath.Join(in, fmt.Sprintf("early%02d.bin", i)), wordData(uint64(100+i), frameBlock), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(in, "late.bin"), wordData(99, frameBlock+4096), 0o644); err != nil {
		b.Fatal(err)
	}
	out := archiveDirB(b, in)
	a, err := Open(out)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	return out, artifact(b, a, "late.bin"), artifact(b, a, "early00.bin")
}

// readMember reads art through a.Open to the end, which checks its hash.
func readMember(b *testing.B, a *Archive, art Artifact) {
	rc, err := a.Open(art)
	if err != nil {
		b.Fatal(err)
	}
	defer rc.Close()
	if n, err := io.Copy(io.Discard, rc); err != nil || n != art.Size {
		b.Fatalf("read %d bytes of %d: %v", n, art.Size, err)
	}
}

// BenchmarkOpenLateMember reads a 4 MiB member stored after 48 MiB of
// other members (12 frames), as an analysis reads a profile stored after
// larger ones. "reused" reads it again through one Archive, as an
// analysis opening several members does; "fresh" opens the Archive each
// time, so it also pays for checking the seal; "first" reads the first
// member through a fresh Archive, the case that has nothing to skip; Path
// extracts the late member into an emptied cache.
func BenchmarkOpenLateMember(b *testing.B) {
	path, late, first := lateArchive(b, 12)
	open := func(b *testing.B) *Archive {
		a, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		return a
	}
	b.Run("reused", func(b *testing.B) {
		a := open(b)
		defer a.Close()
		b.SetBytes(late.Size)
		for range b.N {
			readMember(b, a, late)
		}
	})
	b.Run("fresh", func(b *testing.B) {
		b.SetBytes(late.Size)
		for range b.N {
			a := open(b)
			readMember(b, a, late)
			a.Close()
		}
	})
	b.Run("first", func(b *testing.B) {
		b.SetBytes(first.Size)
		for range b.N {
			a := open(b)
			readMember(b, a, first)
			a.Close()
		}
	})
	b.Run("Path", func(b *testing.B) {
		cache := b.TempDir()
		b.Setenv("CORONER_CACHE_DIR", cache)
		a := open(b)
		defer a.Close()
		b.SetBytes(late.Size)
		for range b.N {
			os.RemoveAll(filepath.Join(cache, a.Digest()))
			if _, err := a.Path(late); err != nil {
				b.Fatal(err)
			}
		}
	})
}
