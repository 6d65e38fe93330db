package bundle

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// remoteSeed is a frozen real archive the stream readers are fuzzed from.
var remoteSeed = filepath.Join("..", "corpus", "testdata", "foreign", "crash.tar.zst")

// FuzzRemoteStream: the readers of an archive streamed from an object
// store never panic, and on the intact archive agree with the file readers.
func FuzzRemoteStream(f *testing.F) {
	arch, err := os.ReadFile(remoteSeed)
	if err != nil {
		f.Skipf("seed archive: %v", err)
	}
	a, err := Open(remoteSeed)
	if err != nil {
		f.Fatal(err)
	}
	want := a.Digest()
	a.Close()
	unsealed := recompressed(f, arch)
	f.Add(arch)
	f.Add(unsealed)
	f.Add(arch[:len(arch)/3])
	f.Add(arch[:64<<10])
	f.Fuzz(func(t *testing.T, b []byte) {
		sealed, sealErr := CheckSealStream(bytes.NewReader(b), "fuzz")
		d, digestErr := DigestReader(bytes.NewReader(b), "fuzz")
		if bytes.Equal(b, arch) && (!sealed || sealErr != nil || digestErr != nil || d != want) {
			t.Errorf("intact archive: sealed %v (%v), digest %s, %v; want %s", sealed, sealErr, d, digestErr, want)
		}
		if bytes.Equal(b, unsealed) && (sealed || sealErr != nil || digestErr != nil || d != want) {
			t.Errorf("recompressed archive: sealed %v (%v), digest %s, %v; want unsealed, %s", sealed, sealErr, d, digestErr, want)
		}
	})
}

// recompressed is arch decoded and compressed again as one frame of
// unknown size without a seal, as `zstd -d | zstd` leaves it.
func recompressed(f *testing.F, arch []byte) []byte {
	dec, err := zstd.NewReader(bytes.NewReader(arch))
	if err != nil {
		f.Fatal(err)
	}
	defer dec.Close()
	var out bytes.Buffer
	enc, err := zstd.NewWriter(&out)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := io.Copy(enc, dec); err != nil {
		f.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		f.Fatal(err)
	}
	return out.Bytes()
}
