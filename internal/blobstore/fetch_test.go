package blobstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/coroner/coroner/bundle"
)

// recompress decodes an archive and compresses it again as one frame of
// unknown size, as `zstd -d | zstd` of a large archive does: no seal, no
// random access.
func recompress(t *testing.T, arch []byte) []byte {
	t.Helper()
	dec, err := zstd.NewReader(bytes.NewReader(arch))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	tarStream, err := io.ReadAll(dec)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	enc, _ := zstd.NewWriter(&out)
	// A flush before the end writes the frame header before the size is
	// known, as a streaming compressor of a pipe does.
	enc.Write(tarStream[:len(tarStream)/2])
	enc.Flush()
	enc.Write(tarStream[len(tarStream)/2:])
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestFetchUnsealed: an archive recompressed without its seal is fetched
// and reported unsealed, and opens as the original does; one cut at a
// frame boundary, which keeps random access but loses the seal, is still
// refused.
func TestFetchUnsealed(t *testing.T) {
	ctx := context.Background()
	arch := testArchive(t)
	unsealed := recompress(t, arch)
	for kind, prefix := range stores(t) {
		t.Run(kind, func(t *testing.T) {
			loc, err := Open(ctx, prefix)
			if err != nil {
				t.Fatal(err)
			}
			put := func(name string, data []byte) string {
				key := loc.Join(name)
				putBytes(t, loc, key, data)
				return key
			}
			dir := t.TempDir()
			local, sealed, err := loc.Fetch(ctx, put("recompressed.tar.zst", unsealed), dir)
			if err != nil || sealed {
				t.Fatalf("Fetch of a recompressed archive: sealed %v, %v; want unsealed, no error", sealed, err)
			}
			if b, _ := os.ReadFile(local); !bytes.Equal(b, unsealed) {
				t.Error("fetched copy differs from the object")
			}
			// Fetched again, the copy found says it was not checked.
			if again, sealed, err := loc.Fetch(ctx, loc.Join("recompressed.tar.zst"), dir); err != nil || sealed || again != local {
				t.Errorf("second Fetch: %s, sealed %v, %v", again, sealed, err)
			}
			if err := bundle.CheckSealed(local); err != nil {
				t.Errorf("the fetched copy does not open as a stream: %v", err)
			}
			// The seal alone cut off: frames allow random access, so a
			// missing seal means a cut archive.
			cut := arch[:len(arch)-40]
			if _, _, err := loc.Fetch(ctx, put("cut.tar.zst", cut), t.TempDir()); !errors.Is(err, bundle.ErrCorrupt) {
				t.Errorf("Fetch of an archive without its seal: %v, want ErrCorrupt", err)
			}
		})
	}
}
