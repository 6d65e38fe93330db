package bundle

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// tableArchive writes an archive of a member spanning several frames and
// returns its path and bytes.
func tableArchive(t *testing.T) (string, []byte) {
	t.Helper()
	p, _ := archiveFiles(t, map[string][]byte{
		"heap.bin": wordData(3, 2*frameBlock+777),
		"gc.log":   []byte("gc 1 @0.012s 2%: 0.010+0.5+0.003 ms clock, 0.04+0.1/0.4/0.9+0.01 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 4 P\n"),
	})
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, b
}

// TestFrameTable: a new archive ends with a table listing every frame
// before it as the walk finds them, read from the tail alone; the zstd
// CLI still decompresses it.
func TestFrameTable(t *testing.T) {
	p, b := tableArchive(t)
	recs, err := readFrameTable(bytes.NewReader(b), int64(len(b)), p)
	if err != nil {
		t.Fatal(err)
	}
	var walked []frameSpan
	if err := walkFrames(bytes.NewReader(b), p, true, func(fs frameSpan) error { walked = append(walked, fs); return nil }); err != nil {
		t.Fatal(err)
	}
	var zstdRecs []frameRecord
	for _, r := range recs {
		if r.content >= 0 {
			zstdRecs = append(zstdRecs, r)
		}
	}
	if len(zstdRecs) != len(walked) || len(walked) < 4 {
		t.Fatalf("table lists %d zstd frames, the walk found %d", len(zstdRecs), len(walked))
	}
	for i, fs := range walked {
		r := zstdRecs[i]
		if r.off != fs.off || r.size != fs.size || r.content != fs.content {
			t.Errorf("frame %d: table says %+v, walk %+v", i, r, fs)
		}
	}
	zstdCLI, err := exec.LookPath("zstd")
	if err != nil {
		t.Skip("zstd CLI not installed: cannot check it still decodes the archive")
	}
	if out, err := exec.Command(zstdCLI, "-t", p).CombinedOutput(); err != nil {
		t.Fatalf("zstd -t: %v\n%s", err, out)
	}
}

// TestFrameTableDamaged: a table whose records disagree with the frames
// fails Verify even with the seal recomputed over it; a flipped byte in
// the table fails the tail check; an old archive (table removed, seal
// recomputed) reads as one without a table.
func TestFrameTableDamaged(t *testing.T) {
	p, b := tableArchive(t)
	recs, err := readFrameTable(bytes.NewReader(b), int64(len(b)), p)
	if err != nil {
		t.Fatal(err)
	}
	tableOff := recs[len(recs)-1].off + recs[len(recs)-1].size
	dir := t.TempDir()
	write := func(name string, c []byte) string {
		q := filepath.Join(dir, name)
		if err := os.WriteFile(q, c, 0o644); err != nil {
			t.Fatal(err)
		}
		return q
	}

	flipped := append([]byte(nil), b...)
	flipped[tableOff+8+16] ^= 1 // the first record's decoded size
	_, err = readFrameTable(bytes.NewReader(flipped), int64(len(flipped)), p)
	wantErr(t, err, "seal says")
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("flipped table: %v does not wrap ErrCorrupt", err)
	}

	// Rewrite the table's first record and the seal over the new table:
	// the tail check passes, the walk finds the lie.
	lyingRecs := append([]frameRecord(nil), recs...)
	lyingRecs[0].content++
	tf := tableFrame(lyingRecs)
	var sums [][32]byte
	for _, r := range recs {
		sums = append(sums, r.sum)
	}
	lying := append(append([]byte(nil), b[:tableOff]...), tf...)
	lying = append(lying, sealFrame(sumOfSums(append(sums, sha256.Sum256(tf))))...)
	q := write("lying.tar.zst", lying)
	err = Verify(q)
	wantErr(t, err, "frame table at offset", "record 0")

	// Without its table (an archive written before there was one), the
	// tail says so and Verify passes.
	old := append([]byte(nil), b[:tableOff]...)
	old = append(old, sealFrame(sumOfSums(sums))...)
	if _, err := readFrameTable(bytes.NewReader(old), int64(len(old)), p); !errors.Is(err, errNoTable) {
		t.Errorf("archive without a table: %v, want errNoTable", err)
	}
	if err := Verify(write("old.tar.zst", old)); err != nil {
		t.Errorf("archive without a table: %v", err)
	}
}

// FuzzFrameTable: the table parser never panics, and what it accepts
// tiles the archive up to the table.
func FuzzFrameTable(f *testing.F) {
	dir := f.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	os.WriteFile(filepath.Join(in, "a.bin"), wordData(5, 50_000), 0o644)
	p := filepath.Join(dir, "seed.tar.zst")
	archiveDir(f, in, p, "")
	seed, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed[len(seed)-min(len(seed), 2000):])
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := readFrameTable(bytes.NewReader(data), int64(len(data)), "fuzz")
		if err != nil {
			return
		}
		var next int64
		for _, r := range recs {
			if r.off != next || r.size < 8 {
				t.Fatalf("accepted record %+v at %#x", r, next)
			}
			next += r.size
		}
		if next > int64(len(data)) {
			t.Fatalf("records end at %#x, past %d bytes", next, len(data))
		}
	})
}

// TestOpenReaderAt: an archive opens through an io.ReaderAt from its
// frame table, its members read as from the file; one without a table is
// refused with ErrNoFrameTable, so that its caller reads a local copy.
func TestOpenReaderAt(t *testing.T) {
	p, b := tableArchive(t)
	a, err := OpenReaderAt(bytes.NewReader(b), int64(len(b)), p)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.CheckSealed(); err != nil {
		t.Fatal(err)
	}
	art := artifact(t, a, "heap.bin")
	rc, err := a.Open(art)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, wordData(3, 2*frameBlock+777)) {
		t.Errorf("member read through the io.ReaderAt: %d bytes, %v", len(got), err)
	}
	recs, err := readFrameTable(bytes.NewReader(b), int64(len(b)), p)
	if err != nil {
		t.Fatal(err)
	}
	var sums [][32]byte
	for _, r := range recs {
		sums = append(sums, r.sum)
	}
	tableOff := recs[len(recs)-1].off + recs[len(recs)-1].size
	old := append(append([]byte(nil), b[:tableOff]...), sealFrame(sumOfSums(sums))...)
	if _, err := OpenReaderAt(bytes.NewReader(old), int64(len(old)), p); !errors.Is(err, ErrNoFrameTable) {
		t.Errorf("archive without a table: %v, want ErrNoFrameTable", err)
	}
}
