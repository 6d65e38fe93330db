package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestExtractSparse copies data with zero runs of every alignment and
// checks bytes, hash, holes, and short or long input.
func TestExtractSparse(t *testing.T) {
	data := make([]byte, 3*extractChunk+12345)
	for _, off := range []int{0, 1, holeBlock - 1, holeBlock, 5*holeBlock + 7, extractChunk - 1, extractChunk, 2*extractChunk + 3, len(data) - 1} {
		data[off] = byte(off | 1)
	}
	for i := 2 * extractChunk; i < 2*extractChunk+3*holeBlock; i++ {
		data[i] = 0xaa
	}
	want := sha256.Sum256(data)
	path := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := extractSparse(f, bytes.NewReader(data), int64(len(data)))
	f.Close()
	if err != nil || got != hex.EncodeToString(want[:]) {
		t.Fatalf("sum %s, err %v", got, err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, data) {
		t.Error("extracted bytes differ")
	}
	ro, _ := os.Open(path)
	_, err = extractSparse(ro, bytes.NewReader(data), int64(len(data)))
	ro.Close()
	if err == nil {
		t.Error("writing to a read-only file did not fail")
	}
	for _, size := range []int64{int64(len(data)) - 1, int64(len(data)) + 1} {
		f, _ := os.Create(path)
		_, err := extractSparse(f, bytes.NewReader(data), size)
		f.Close()
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("size %d of %d: err %v", size, len(data), err)
		}
	}
}

// TestCacheStamp checks when a cache entry is trusted as it is.
func TestCacheStamp(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "entry")
	body := []byte("cached bytes")
	sum := sha256.Sum256(body)
	good := hex.EncodeToString(sum[:])
	af, err := CreateAtomic(dest)
	if err != nil {
		t.Fatal(err)
	}
	af.Write(body)
	if err := publishCached(af); err != nil {
		t.Fatal(err)
	}
	af.close()
	if !cached(dest, "not the sum") {
		t.Error("entry written during this boot not trusted")
	}
	if _, ok := bootStamp(dest); !ok {
		t.Skip("no boot stamps here: entries are synced")
	}
	f, _ := os.Open(dest)
	setBootStamp(f, "an earlier boot")
	f.Close()
	if cached(dest, "not the sum") {
		t.Error("entry from an earlier boot trusted without a matching hash")
	}
	if !cached(dest, good) {
		t.Error("entry from an earlier boot with a matching hash not trusted")
	}
	if _, ok := bootStamp(dest); ok {
		t.Error("stamp kept after the entry was checked and synced")
	}
}
