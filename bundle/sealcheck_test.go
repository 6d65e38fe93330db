package bundle

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestCheckSealed: a whole archive passes; a cut or flipped one fails like
// Verify; a member whose frame was replaced by a valid frame of other
// content, with the seal rewritten, passes (its bytes are hashed when
// read: Open fails) while Verify fails. Only the tar headers are decoded.
func TestCheckSealed(t *testing.T) {
	a, _ := memberArchive(t, bigMember)
	defer a.Close()
	if err := CheckSealed(a.path); err != nil {
		t.Fatalf("whole archive: %v", err)
	}
	good, err := os.ReadFile(a.path)
	if err != nil {
		t.Fatal(err)
	}
	art := artifact(t, a, "heap.bin")
	fr := memberFrame(t, a, art, frameBlock+5)
	altered := alteredFrame(t, good, fr)
	flipped := append([]byte(nil), good...)
	flipped[fr.off+fr.size/2] ^= 0x40
	dir := t.TempDir()
	t.Setenv("CORONER_CACHE_DIR", filepath.Join(dir, "cache"))
	for _, c := range []struct {
		name   string
		b      []byte
		passes bool
	}{
		{"cut", good[:len(good)*2/3], false},
		{"cut before the seal", good[:len(good)-sealSize], false},
		{"byte flipped", flipped, false},
		{"content changed, resealed", spliceFrame(t, good, fr, altered), true},
	} {
		p := filepath.Join(dir, c.name+".tar.zst")
		if err := os.WriteFile(p, c.b, 0o644); err != nil {
			t.Fatal(err)
		}
		err := CheckSealed(p)
		if c.passes {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			if verr := Verify(p); !errors.Is(verr, ErrCorrupt) {
				t.Errorf("%s: Verify: %v, want ErrCorrupt", c.name, verr)
			}
			b, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := b.Open(art)
			if err == nil {
				_, err = io.ReadAll(rc)
				rc.Close()
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s: reading the member: %v, want ErrCorrupt", c.name, err)
			}
			b.Close()
			continue
		}
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotArchive) {
			t.Errorf("%s: %v, want ErrCorrupt", c.name, err)
		}
	}
}

// TestCheckSealedDecodesOnlyHeaders: the frames of a member's data
// between the one holding its header and the one holding the next header
// stay undecoded.
func TestCheckSealedDecodesOnlyHeaders(t *testing.T) {
	a, _ := memberArchive(t, bigMember)
	defer a.Close()
	art := artifact(t, a, "heap.bin")
	start, end := dataSpan(t, a, art)
	before, x := decodeCounts(t, a)
	if err := a.CheckSealed(); err != nil {
		t.Fatal(err)
	}
	after, _ := decodeCounts(t, a)
	first, last := x.frameAt(start)+1, x.frameAt(end-1)
	if last-first < 2 {
		t.Fatalf("member spans frames %d to %d", first-1, last)
	}
	for i := first; i < last; i++ {
		if after[i] != before[i] {
			t.Errorf("frame %d, inside the member's data, decoded %d times", i, after[i]-before[i])
		}
	}
}

// TestCheckSealedRecompressed: an archive recompressed as one frame (as
// the zstd CLI does, dropping the seal) passes, to be read as a stream.
func TestCheckSealedRecompressed(t *testing.T) {
	a, _ := memberArchive(t, bigMember)
	defer a.Close()
	whole, err := encodeFrame(tarStream(t, a.path))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "recompressed.tar.zst")
	if err := os.WriteFile(p, whole, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckSealed(p); err != nil {
		t.Errorf("recompressed archive: %v", err)
	}
}

// TestOpenSealed: an archive opened as already sealed is not hashed again
// (a bad seal goes unnoticed), but a damaged frame still fails its
// checksum when read.
func TestOpenSealed(t *testing.T) {
	a, orig := memberArchive(t, bigMember)
	defer a.Close()
	art := artifact(t, a, "heap.bin")
	good, err := os.ReadFile(a.path)
	if err != nil {
		t.Fatal(err)
	}
	fr := memberFrame(t, a, art, frameBlock+5)
	bad := append([]byte(nil), good...)
	bad[fr.off+fr.size/2] ^= 0x40
	p := filepath.Join(t.TempDir(), "flipped.tar.zst")
	if err := os.WriteFile(p, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := OpenSealed(p)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	m, err := b.OpenMember(art)
	if err != nil {
		t.Fatalf("OpenMember on an archive opened sealed: %v", err)
	}
	defer m.Close()
	buf := make([]byte, 4096)
	if _, err := m.ReadAt(buf, 0); err != nil {
		t.Errorf("reading an intact frame: %v", err)
	} else if !bytes.Equal(buf, orig[art.Path][:4096]) {
		t.Error("wrong bytes from an intact frame")
	}
	if _, err := m.ReadAt(buf, frameBlock+5); !errors.Is(err, ErrCorrupt) {
		t.Errorf("reading the flipped frame: %v, want ErrCorrupt", err)
	}
}
