package blobstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/ingest"
	"github.com/coroner/coroner/internal/s3test"
)

// bigArchive ingests an archive holding member bytes that do not
// compress, so that the archive is about size bytes, and returns its path.
func bigArchive(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	noise := make([]byte, size)
	rand.Read(noise)
	if err := os.WriteFile(filepath.Join(in, "blob.bin"), noise, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "big.tar.zst")
	if _, err := ingest.Run(context.Background(), ingest.Options{Inputs: []string{in}, Output: out, ID: "big"}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHeadReader: read whole through growing ranged requests, an object
// comes back byte for byte with its size, in every kind of store.
func TestHeadReader(t *testing.T) {
	ctx := context.Background()
	data := make([]byte, 3*headFirstChunk+12345)
	rand.Read(data)
	for kind, prefix := range stores(t) {
		t.Run(kind, func(t *testing.T) {
			loc, err := Open(ctx, prefix)
			if err != nil {
				t.Fatal(err)
			}
			key := loc.Join("noise.bin")
			putBytes(t, loc, key, data)
			h, err := loc.OpenHead(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			if h.Attributes().Size != int64(len(data)) {
				t.Errorf("size %d, want %d", h.Attributes().Size, len(data))
			}
			got, err := io.ReadAll(h)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("read %d bytes (%v), want the %d written", len(got), err, len(data))
			}
			// An empty object, of which S3 refuses any range.
			empty := loc.Join("empty.bin")
			if err := loc.Write(ctx, empty, func(io.Writer) error { return nil }); err != nil {
				t.Fatal(err)
			}
			if e, err := loc.OpenHead(ctx, empty); err != nil {
				t.Errorf("OpenHead of an empty object: %v", err)
			} else if b, err := io.ReadAll(e); err != nil || len(b) != 0 || e.Attributes().Size != 0 {
				t.Errorf("empty object read as %d bytes, %v, size %d", len(b), err, e.Attributes().Size)
			} else {
				e.Close()
			}
			if _, err := loc.OpenHead(ctx, loc.Join("missing")); !isNotExist(err) {
				t.Errorf("OpenHead of a missing key: %v", err)
			}
		})
	}
}

func isNotExist(err error) bool { return errors.Is(err, ErrNotExist) }

// TestDigestReadsTheHead: the digest of a 4 MiB archive in a real S3
// endpoint costs one request of at most headFirstChunk bytes, and equals
// the archive's.
func TestDigestReadsTheHead(t *testing.T) {
	ctx := context.Background()
	ep := s3test.Serve(t, "incidents")
	path := bigArchive(t, 4<<20)
	loc, err := Open(ctx, s3test.Key(ep.Root, "fleet/"))
	if err != nil {
		t.Fatal(err)
	}
	key := loc.Join("big.tar.zst")
	if err := loc.Upload(ctx, key, path); err != nil {
		t.Fatal(err)
	}
	a, err := bundle.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	reqs, served := ep.Requests(), ep.BytesServed()
	d, err := loc.Digest(ctx, key)
	if err != nil || d != a.Digest() {
		t.Fatalf("Digest = %s, %v; want %s", d, err, a.Digest())
	}
	st, _ := os.Stat(path)
	if n, r := ep.BytesServed()-served, ep.Requests()-reqs; n > headFirstChunk || r != 1 {
		t.Errorf("the digest of a %d-byte archive took %d requests serving %d bytes; want 1 of at most %d", st.Size(), r, n, headFirstChunk)
	}
}
