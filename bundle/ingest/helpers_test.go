package ingest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coroner/coroner/bundle"
)

// tarEntry is one member for mkTar.
type tarEntry struct {
	hdr  tar.Header
	body []byte
}

func reg(name string, body string) tarEntry {
	return tarEntry{hdr: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}, body: []byte(body)}
}

func mkTar(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := e.hdr
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("tar header %q: %v", h.Name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zipEntry is one member for mkZip.
type zipEntry struct {
	hdr  zip.FileHeader
	body []byte
}

func zreg(name, body string) zipEntry {
	return zipEntry{hdr: zip.FileHeader{Name: name, Method: zip.Deflate}, body: []byte(body)}
}

func mkZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		h := e.hdr
		w, err := zw.CreateHeader(&h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// gotrace is a real goroutine dump line set; text sniffing recognizes it.
const gotrace = "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:5 +0x1d\n"

// ingestResult is what ingestFiles returns.
type ingestResult struct {
	m      *bundle.Manifest
	err    error
	out    string // archive path
	outDir string // its directory
	inDir  string
}

// ingestFiles writes files into a fresh input directory and ingests them
// (the directory when inputs is empty, else the named inputs relative to
// it). It checks what must hold whatever the outcome: no temporary or
// staging file is left next to the output, and no output on failure.
func ingestFiles(t *testing.T, files map[string][]byte, lim Limits, inputs ...string) ingestResult {
	t.Helper()
	r := ingestResult{inDir: t.TempDir(), outDir: t.TempDir()}
	for name, body := range files {
		p := filepath.Join(r.inDir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{r.inDir}
	if len(inputs) > 0 {
		args = nil
		for _, in := range inputs {
			args = append(args, filepath.Join(r.inDir, in))
		}
	}
	r.out = filepath.Join(r.outDir, "out.tar.zst")
	r.m, r.err = Run(context.Background(), Options{Inputs: args, Output: r.out, Limits: lim})
	ents, _ := os.ReadDir(r.outDir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	switch {
	case r.err != nil && len(names) != 0:
		t.Errorf("failed ingest left %v in the output directory", names)
	case r.err == nil && (len(names) != 1 || names[0] != "out.tar.zst"):
		t.Errorf("output directory holds %v, want only out.tar.zst", names)
	case r.err == nil:
		if err := bundle.Verify(r.out); err != nil {
			t.Errorf("verify of a fresh archive: %v", err)
		}
	}
	return r
}

// wantErr fails unless err is non-nil and mentions every part.
func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one mentioning %q", parts)
	}
	t.Logf("error (as expected): %v", err)
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

// wantWarning fails unless some manifest warning contains every part.
func wantWarning(t *testing.T, m *bundle.Manifest, parts ...string) {
	t.Helper()
	for _, w := range m.Warnings {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(w, p)
		}
		if ok {
			return
		}
	}
	t.Errorf("no warning mentioning %q among %q", parts, m.Warnings)
}

func originals(m *bundle.Manifest) map[string]bundle.Artifact {
	o := map[string]bundle.Artifact{}
	for _, a := range m.Artifacts {
		o[a.Original] = a
	}
	return o
}

// zstdBytes compresses b with the zstd command, as people compress what
// they attach; the test skips without it (only the archive format's
// package links a zstd library).
func zstdBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	if _, err := exec.LookPath("zstd"); err != nil {
		t.Skip("zstd not found: cannot make a zstd-compressed input")
	}
	cmd := exec.Command("zstd", "-q", "-c")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("zstd: %v", err)
	}
	return out
}
