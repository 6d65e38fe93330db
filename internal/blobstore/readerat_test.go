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

// TestObjectReaderArchive: an archive in a real S3 endpoint opens in
// place, its manifest and a small member read by ranged requests that
// fetch less than the object; a byte flipped in a large member's frame
// is refused as corrupt when that frame is read, and the small member
// still reads.
func TestObjectReaderArchive(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	noise := make([]byte, 12<<20) // three of coroner's frames that do not compress
	rand.Read(noise)
	small := []byte("gc 1 @0.012s 2%: 0.010+0.5+0.003 ms clock, 0.04+0.1/0.4/0.9+0.01 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 4 P\n")
	os.WriteFile(filepath.Join(in, "blob.bin"), noise, 0o644)
	os.WriteFile(filepath.Join(in, "gc.log"), small, 0o644)
	out := filepath.Join(dir, "a.tar.zst")
	if _, err := ingest.Run(ctx, ingest.Options{Inputs: []string{in}, Output: out, ID: "a"}); err != nil {
		t.Fatal(err)
	}
	arch, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	e := s3test.Serve(t, "ranged")
	loc, err := Open(ctx, e.Root)
	if err != nil {
		t.Fatal(err)
	}
	put := func(name string, b []byte) string {
		key := loc.Join(name)
		putBytes(t, loc, key, b)
		return key
	}
	open := func(key string) *bundle.Archive {
		o, err := loc.OpenReaderAt(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		a, err := bundle.OpenReaderAt(o, o.Size(), o.Name())
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	member := func(a *bundle.Archive, base string) bundle.Artifact {
		for _, art := range a.Manifest().Artifacts {
			if filepath.Base(art.Original) == base {
				return art
			}
		}
		t.Fatalf("no member from %s", base)
		return bundle.Artifact{}
	}
	read := func(a *bundle.Archive, art bundle.Artifact) ([]byte, error) {
		rc, err := a.Open(art)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}

	key := put("a.tar.zst", arch)
	before := e.BytesServed()
	a := open(key)
	local, err := bundle.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	if a.Digest() != local.Digest() {
		t.Errorf("digest %s in place, %s locally", a.Digest(), local.Digest())
	}
	if got, err := read(a, member(a, "gc.log")); err != nil || !bytes.Equal(got, small) {
		t.Errorf("small member: %q, %v", got, err)
	}
	if err := a.CheckSealed(); err != nil {
		t.Errorf("CheckSealed in place: %v", err)
	}
	served := e.BytesServed() - before
	t.Logf("manifest, small member and tar headers: %d bytes served of a %d-byte object", served, len(arch))
	if served >= int64(len(arch))/2 {
		t.Errorf("reading the manifest and a small member fetched %d bytes of %d", served, len(arch))
	}
	if got, err := read(a, member(a, "blob.bin")); err != nil || !bytes.Equal(got, noise) {
		t.Errorf("large member: %d bytes, %v", len(got), err)
	}
	a.Close()

	bad := bytes.Clone(arch)
	bad[len(bad)/2] ^= 0x40 // inside the large member's frames
	b := open(put("bad.tar.zst", bad))
	defer b.Close()
	if _, err := read(b, member(b, "blob.bin")); !errors.Is(err, bundle.ErrCorrupt) {
		t.Errorf("flipped frame: %v, want ErrCorrupt", err)
	}
	if got, err := read(b, member(b, "gc.log")); err != nil || !bytes.Equal(got, small) {
		t.Errorf("small member of the damaged archive: %q, %v", got, err)
	}
}

// TestObjectReaderKeepsBytes: the reader keeps recent responses up to a
// byte budget, not a count of them. A large range read again after a run
// of small ones is served from what it kept, with no second request, and
// however many ranges are read what it keeps stays within the budget.
func TestObjectReaderKeepsBytes(t *testing.T) {
	ctx := context.Background()
	e := s3test.Serve(t, "kept")
	loc, err := Open(ctx, e.Root)
	if err != nil {
		t.Fatal(err)
	}
	obj := make([]byte, 3*objectMaxCached)
	rand.Read(obj)
	key := loc.Join("obj")
	putBytes(t, loc, key, obj)
	o, err := loc.OpenReaderAt(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	readAt := func(off int64, n int) {
		t.Helper()
		p := make([]byte, n)
		if _, err := o.ReadAt(p, off); err != nil || !bytes.Equal(p, obj[off:off+int64(n)]) {
			t.Fatalf("ReadAt(%d bytes at %d): %v", n, off, err)
		}
	}
	large := int64(objectMaxCached)
	readAt(large, 4<<20)
	for i := range 20 { // more small responses than the old count of eight
		readAt(2*large+int64(i)*objectMinRead, objectMinRead)
	}
	reqs := e.Requests()
	readAt(large, 4<<20)
	if r := e.Requests() - reqs; r != 0 {
		t.Errorf("the large range read again after small ones cost %d requests, want 0", r)
	}
	for i := range 40 {
		readAt(int64(i)*(1<<20)%(2*large), objectMaxCached/2)
	}
	if o.kept > objectCacheBytes {
		t.Errorf("kept %d bytes, over the budget of %d", o.kept, objectCacheBytes)
	}
}
