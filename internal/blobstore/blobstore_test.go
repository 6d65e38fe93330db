package blobstore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/ingest"
	"github.com/coroner/coroner/internal/s3test"
)

// stores returns a prefix URL in each kind of store the tests reach: a
// real S3 protocol endpoint, a directory, and memory.
func stores(t *testing.T) map[string]string {
	return map[string]string{
		"s3":   s3test.Key(s3test.Start(t, "incidents"), "fleet/"),
		"file": "file://" + t.TempDir() + "/fleet/",
		"mem":  "mem://incidents/fleet/",
	}
}

// testArchive ingests a small real archive and returns its bytes.
func testArchive(t *testing.T) []byte {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	log := "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:10 +0x1d\n"
	if err := os.WriteFile(filepath.Join(in, "stderr.log"), []byte("panic: boom\n\n"+log), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "a.tar.zst")
	if _, err := ingest.Run(context.Background(), ingest.Options{Inputs: []string{in}, Output: out, ID: "blob-test"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStores(t *testing.T) {
	ctx := context.Background()
	arch := testArchive(t)
	for kind, prefix := range stores(t) {
		t.Run(kind, func(t *testing.T) {
			loc, err := Open(ctx, prefix)
			if err != nil {
				t.Fatal(err)
			}
			put := func(rel string, data []byte) {
				t.Helper()
				putBytes(t, loc, loc.Join(rel), data)
			}
			put("a.tar.zst", arch)
			put("sub/b.json", []byte(`{"x":1}`))
			// A failed write publishes nothing and keeps the old object.
			boom := errors.New("boom")
			if err := loc.Write(ctx, loc.Join("sub/b.json"), func(w io.Writer) error { w.Write([]byte("partial")); return boom }); !errors.Is(err, boom) {
				t.Fatalf("failed write: %v", err)
			}
			if b, err := loc.ReadAll(ctx, loc.Join("sub/b.json"), 1<<20); err != nil || string(b) != `{"x":1}` {
				t.Errorf("after a failed write: %q, %v", b, err)
			}
			if _, err := loc.ReadAll(ctx, loc.Join("sub/b.json"), 3); err == nil {
				t.Error("ReadAll over its limit succeeded")
			}
			if _, err := loc.Stat(ctx, loc.Join("nope")); !errors.Is(err, ErrNotExist) {
				t.Errorf("Stat of a missing key: %v, want ErrNotExist", err)
			}
			keys, _, err := loc.List(ctx, func(k string) bool { return strings.HasSuffix(k, ".json") })
			if err != nil || len(keys) != 1 || keys[0] != loc.Join("sub/b.json") {
				t.Errorf("List = %v, %v", keys, err)
			}

			// Fetch: byte-identical, seal checked, digest from the first bytes.
			dir := t.TempDir()
			local, sealed, err := loc.Fetch(ctx, loc.Join("a.tar.zst"), dir)
			if err != nil || !sealed {
				t.Fatalf("Fetch: sealed %v, %v", sealed, err)
			}
			got, _ := os.ReadFile(local)
			if !bytes.Equal(got, arch) {
				t.Error("fetched archive differs from the stored one")
			}
			a, err := bundle.Open(local)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if d, err := loc.Digest(ctx, loc.Join("a.tar.zst")); err != nil || d != a.Digest() {
				t.Errorf("Digest = %s, %v; want %s", d, err, a.Digest())
			}

			// A copy damaged past the manifest fails its seal while
			// fetched, and leaves nothing behind.
			bad := bytes.Clone(arch)
			bad[len(bad)*2/3] ^= 0x40
			put("bad.tar.zst", bad)
			dir2 := t.TempDir()
			if _, _, err := loc.Fetch(ctx, loc.Join("bad.tar.zst"), dir2); !errors.Is(err, bundle.ErrCorrupt) {
				t.Errorf("Fetch of a damaged archive: %v, want ErrCorrupt", err)
			}
			if ents, _ := os.ReadDir(dir2); len(ents) != 0 {
				t.Errorf("a failed fetch left %d files", len(ents))
			}
		})
	}
}

func TestRedact(t *testing.T) {
	for _, u := range []string{
		"s3://b/k?endpoint=http://h:9000&sse_kms_key=s3cr3t",
		"azblob://c/k?sas_token=s3cr3t",
		"gs://user:s3cr3t@b/k",
	} {
		if r := Redact(u); strings.Contains(r, "s3cr3t") {
			t.Errorf("Redact(%q) = %q", u, r)
		}
	}
	if r := Redact("s3://b/k?region=eu-west-1"); !strings.Contains(r, "eu-west-1") {
		t.Errorf("Redact dropped the region: %s", r)
	}
}

func TestIsURL(t *testing.T) {
	for s, want := range map[string]bool{"s3://b/k": true, "GS://b": true, "file:///x": true, "mem://": true,
		"/tmp/x.tar.zst": false, "http://x": false, "x.tar.zst": false, "postgres://h/db": false} {
		if IsURL(s) != want {
			t.Errorf("IsURL(%q) = %v", s, !want)
		}
	}
}

// putBytes writes b to key at loc, failing the test on an error.
func putBytes(t *testing.T, loc *Location, key string, b []byte) {
	t.Helper()
	if err := loc.Write(context.Background(), key, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		t.Fatal(err)
	}
}
