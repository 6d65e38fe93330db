package bundle

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
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
	f.Add(arch)
	f.Add(arch[:len(arch)/3])
	f.Add(arch[:64<<10])
	f.Fuzz(func(t *testing.T, b []byte) {
		sealErr := CheckSealReader(bytes.NewReader(b), "fuzz")
		d, digestErr := DigestReader(bytes.NewReader(b), "fuzz")
		if bytes.Equal(b, arch) && (sealErr != nil || digestErr != nil || d != want) {
			t.Errorf("intact archive: seal %v, digest %s, %v; want %s", sealErr, d, digestErr, want)
		}
	})
}
