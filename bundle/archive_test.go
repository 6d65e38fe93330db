package bundle

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// smallArchive archives a few real-looking files and returns the
// archive's path and manifest.
func smallArchive(t *testing.T) (string, *Manifest) {
	t.Helper()
	files := map[string][]byte{
		"dump.txt": []byte(gotrace),
		"gc.log":   []byte("gc 1 @0.012s 2%: 0.010+0.5+0.003 ms clock, 0.04+0.1/0.4/0.9+0.01 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 4 P\n"),
		"blob":     bytes.Repeat([]byte("0123456789abcdef"), 700_000), // > 2 frames
		"copy":     []byte(gotrace),
	}
	return archiveFiles(t, files)
}

// frameEnds returns the offset after every zstd frame in b, walking frame
// and block headers (RFC 8878 §3.1.1).
func frameEnds(t *testing.T, b []byte) []int {
	t.Helper()
	var ends []int
	off := 0
	for off < len(b) {
		if m := binary.LittleEndian.Uint32(b[off:]); m&0xFFFFFFF0 == 0x184D2A50 { // skippable
			off += 8 + int(binary.LittleEndian.Uint32(b[off+4:]))
			ends = append(ends, off)
			continue
		}
		if !bytes.Equal(b[off:off+4], magicZstd) {
			t.Fatalf("no frame magic at %#x", off)
		}
		fhd := b[off+4]
		p := off + 5
		single := fhd&0x20 != 0
		if !single {
			p++ // window descriptor
		}
		p += []int{0, 1, 2, 4}[fhd&3] // dictionary ID
		fcs := []int{0, 2, 4, 8}[fhd>>6]
		if fcs == 0 && single {
			fcs = 1
		}
		p += fcs
		for {
			h := uint32(b[p]) | uint32(b[p+1])<<8 | uint32(b[p+2])<<16
			last, typ, size := h&1, (h>>1)&3, int(h>>3)
			p += 3
			if typ == 1 { // RLE block: one byte on disk
				size = 1
			}
			p += size
			if last == 1 {
				break
			}
		}
		if fhd&0x04 != 0 {
			p += 4 // content checksum
		}
		ends = append(ends, p)
		off = p
	}
	return ends
}

func TestVerifyDetectsTruncationAtEveryFrame(t *testing.T) {
	path, m := smallArchive(t)
	b, _ := os.ReadFile(path)
	ends := frameEnds(t, b)
	if len(ends) < len(m.Artifacts)+2 {
		t.Fatalf("%d frames for %d members: members do not end frames", len(ends), len(m.Artifacts)+2)
	}
	if ends[len(ends)-1] != len(b) {
		t.Fatalf("frames end at %#x, file at %#x", ends[len(ends)-1], len(b))
	}
	cut := filepath.Join(t.TempDir(), "cut.tar.zst")
	for _, end := range ends[:len(ends)-1] {
		os.WriteFile(cut, b[:end], 0o644)
		err := Verify(cut)
		if err == nil {
			t.Errorf("verify accepted the archive cut at frame boundary %#x", end)
		} else if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotArchive) {
			t.Errorf("cut at %#x: error %v is neither ErrCorrupt nor ErrNotArchive", end, err)
		}
	}
}

func TestVerifyDetectsBitFlips(t *testing.T) {
	path, _ := smallArchive(t)
	b, _ := os.ReadFile(path)
	flipped := filepath.Join(t.TempDir(), "flip.tar.zst")
	rng := rand.New(rand.NewPCG(1, 2))
	positions := []int{}
	for i := 0; i < 64 && i < len(b); i++ { // every byte of the first frame header and some of the manifest
		positions = append(positions, i, len(b)-1-i)
	}
	n := 300
	if testing.Short() {
		n = 50
	}
	for range n {
		positions = append(positions, rng.IntN(len(b)))
	}
	for _, pos := range positions {
		c := append([]byte(nil), b...)
		c[pos] ^= 1 << rng.IntN(8)
		os.WriteFile(flipped, c, 0o644)
		if err := Verify(flipped); err == nil {
			t.Errorf("verify accepted a bit flip at %#x", pos)
		}
	}
}

func TestVerifyDetectsAppendedAndTamperedMembers(t *testing.T) {
	path, _ := smallArchive(t)
	b, _ := os.ReadFile(path)
	dir := t.TempDir()
	// A well-formed extra frame appended after the trailer.
	extra := append(append([]byte(nil), b...), b[:frameEnds(t, b)[0]]...)
	p := filepath.Join(dir, "extra.tar.zst")
	os.WriteFile(p, extra, 0o644)
	if err := Verify(p); err == nil {
		t.Error("verify accepted an archive with data after the trailer")
	}
	// Garbage after the end.
	os.WriteFile(p, append(append([]byte(nil), b...), "garbage"...), 0o644)
	if err := Verify(p); err == nil {
		t.Error("verify accepted trailing garbage")
	}
}

func TestDeterministicAcrossConcurrency(t *testing.T) {
	in := t.TempDir()
	os.WriteFile(filepath.Join(in, "blob"), bytes.Repeat([]byte("abcdefgh12345678"), 1_500_000), 0o644)
	os.WriteFile(filepath.Join(in, "dump"), []byte(gotrace), 0o644)
	var outs [][]byte
	for _, procs := range []int{1, 4} {
		old := runtime.GOMAXPROCS(procs)
		out := filepath.Join(t.TempDir(), "o.tar.zst")
		archiveDir(t, in, out, "")
		runtime.GOMAXPROCS(old)
		b, _ := os.ReadFile(out)
		outs = append(outs, b)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Error("archive bytes depend on GOMAXPROCS")
	}
}

func TestArchiveOpenAndPath(t *testing.T) {
	path, m := smallArchive(t)
	a, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if len(a.Digest()) != 64 || a.Manifest().ID != m.ID {
		t.Errorf("digest %q, id %q", a.Digest(), a.Manifest().ID)
	}
	t.Setenv("CORONER_CACHE_DIR", t.TempDir())
	for _, art := range m.Artifacts {
		rc, err := a.Open(art)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || int64(len(b)) != art.Size {
			t.Errorf("%s: read %d bytes, err %v", art.Path, len(b), err)
		}
		p, err := a.Path(art)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := os.ReadFile(p)
		if !bytes.Equal(b, c) {
			t.Errorf("%s: cached copy differs", art.Path)
		}
	}
	if _, err := a.Open(Artifact{Path: "artifacts/other/none"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("opening a missing member: %v", err)
	}
	if IsArchive(filepath.Join(t.TempDir(), "none")) {
		t.Error("IsArchive true for a missing file")
	}
	notArchive := filepath.Join(t.TempDir(), "x")
	os.WriteFile(notArchive, []byte(gotrace), 0o644)
	if IsArchive(notArchive) {
		t.Error("IsArchive true for a text file")
	}
}

func TestExtractSelectedAndNoOverwrite(t *testing.T) {
	path, m := smallArchive(t)
	dir := t.TempDir()
	if err := Extract(path, dir, []string{"dump.txt", "copy"}); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "artifacts", "other"))
	if len(ents) != 1 {
		t.Errorf("extracted %v", ents)
	}
	wantErr(t, Extract(path, dir, []string{"dump.txt"}), "already exists")
	wantErr(t, Extract(path, t.TempDir(), []string{"nope"}), "nope")
	// A symlink planted in the destination does not lead outside it.
	outside := t.TempDir()
	dest := t.TempDir()
	os.Symlink(outside, filepath.Join(dest, "artifacts"))
	if err := Extract(path, dest, nil); err == nil {
		t.Error("extract followed a symlink out of the destination")
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("extract wrote outside the destination: %v", ents)
	}
	_ = m
}
