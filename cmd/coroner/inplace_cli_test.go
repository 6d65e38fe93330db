package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coroner/coroner/internal/blobstore"
	"github.com/coroner/coroner/internal/s3test"
)

// TestAnalyzeInPlaceS3: analyze of an archive in a real S3 endpoint reads
// it in place through its frame table: the endpoint serves less than the
// object, the report JSON is the local file's byte for byte, nothing is
// fetched, and a byte flipped in the frame holding the trailer (which the
// structure check reads) is refused with exit 3, as locally. Locally, a
// byte flipped where no analyzer reads is refused too.
func TestAnalyzeInPlaceS3(t *testing.T) {
	exe := buildCoroner(t)
	dir := t.TempDir()
	t.Setenv("CORONER_CACHE_DIR", filepath.Join(dir, "cache"))
	e := s3test.Serve(t, "tickets")
	prof := profileDir(t, 200*time.Millisecond)
	noise := make([]byte, 8<<20) // an attachment no analyzer reads
	rand.Read(noise)
	if err := os.WriteFile(filepath.Join(prof, "attachment.bin"), noise, 0o644); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(dir, "inc.tar.zst")
	if stdout, stderr, code := runCoroner(t, exe, "ingest", "-q", "--id", "in-place", "-o", local, prof); code != 0 {
		t.Fatalf("ingest: exit %d: %s %s", code, stdout, stderr)
	}
	arch, err := os.ReadFile(local)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	loc, err := blobstore.Open(ctx, e.Root)
	if err != nil {
		t.Fatal(err)
	}
	put := func(name string, b []byte) string {
		key := loc.Join(name)
		if err := loc.Write(ctx, key, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
			t.Fatal(err)
		}
		return loc.URL(key)
	}
	report := func(input, out string) []byte {
		if _, stderr, code := runCoroner(t, exe, "analyze", "--format", "json", "-o", out, input); code != 0 {
			t.Fatalf("analyze %s: exit %d: %s", input, code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(out, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	url := put("inc.tar.zst", arch)
	before := e.BytesServed()
	remote := report(url, filepath.Join(dir, "r-s3"))
	served := e.BytesServed() - before
	t.Logf("analyze s3://: %d bytes served of a %d-byte object", served, len(arch))
	if served >= int64(len(arch)) {
		t.Errorf("analyze in place fetched %d bytes of a %d-byte object", served, len(arch))
	}
	if want := report(local, filepath.Join(dir, "r-local")); !bytes.Equal(remote, want) {
		t.Errorf("report of s3:// differs from the local file's:\n%s\n%s", remote, want)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "cache", "fetched")); len(ents) != 0 {
		t.Errorf("analyze in place fetched %d files", len(ents))
	}

	// The frame table ends with its record count, before the 40-byte seal;
	// the frame before the table holds the trailer.
	n := binary.LittleEndian.Uint64(arch[len(arch)-40-8:])
	tableOff := len(arch) - 40 - (16 + 56*int(n))
	bad := bytes.Clone(arch)
	bad[tableOff-10] ^= 0x40
	for _, input := range []string{put("bad.tar.zst", bad), filepath.Join(dir, "bad.tar.zst")} {
		os.WriteFile(filepath.Join(dir, "bad.tar.zst"), bad, 0o644)
		if _, stderr, code := runCoroner(t, exe, "analyze", "--format", "json", "-o", filepath.Join(dir, "r-bad"), input); code != 3 {
			t.Errorf("analyze %s of a flipped frame: exit %d, want 3: %s", input, code, stderr)
		}
	}

	// A byte flipped in the attachment, which no analyzer reads: the local
	// file's seal, checked beside the analysis, still refuses it, and no
	// report is written. (In place, a frame nothing reads is not hashed.)
	at := bytes.Index(arch, noise[4<<20:4<<20+64]) // stored, not compressed
	if at < 0 {
		t.Fatal("the attachment's bytes are not stored as they are")
	}
	unread := bytes.Clone(arch)
	unread[at+32] ^= 0x40
	if err := os.WriteFile(filepath.Join(dir, "unread.tar.zst"), unread, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "r-unread")
	if _, stderr, code := runCoroner(t, exe, "analyze", "--format", "json", "-o", out, filepath.Join(dir, "unread.tar.zst")); code != 3 {
		t.Errorf("analyze of a flipped byte no analyzer reads: exit %d, want 3: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "report.json")); err == nil {
		t.Error("a report was written for an archive its seal refuses")
	}
}
