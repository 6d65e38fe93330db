package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestArchiveCommands drives ingest, ls, verify and extract end to end on a
// real goroutine dump of this process, checking outputs and exit codes.
func TestArchiveCommands(t *testing.T) {
	in := t.TempDir()
	buf := make([]byte, 1<<20)
	dump := buf[:runtime.Stack(buf, true)]
	if err := os.WriteFile(filepath.Join(in, "goroutines.txt"), dump, 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(in, "notes.bin"), []byte{0, 1, 2, 3}, 0o644)
	exe := buildCoroner(t)
	archive := filepath.Join(t.TempDir(), "inc.tar.zst")

	out, errOut, code := runCoroner(t, exe, "ingest", "-o", archive, "--title", "cli test", "--label", "team=core", in)
	if code != 0 || !strings.Contains(out, archive) {
		t.Fatalf("ingest: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "content not recognized") {
		t.Errorf("ingest stderr lacks the warning for notes.bin:\n%s", errOut)
	}
	out, _, code = runCoroner(t, exe, "ls", archive)
	if code != 0 || !strings.Contains(out, "goroutine-dump") || !strings.Contains(out, "team=core") {
		t.Errorf("ls: exit %d\n%s", code, out)
	}
	out, _, code = runCoroner(t, exe, "ls", "--json", archive)
	var m struct {
		Digest    string `json:"digest"`
		Artifacts []struct {
			Path, Kind, Original string
		} `json:"artifacts"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || code != 0 || len(m.Digest) != 64 || len(m.Artifacts) != 2 {
		t.Errorf("ls --json: exit %d, %v\n%s", code, err, out)
	}
	if _, _, code = runCoroner(t, exe, "verify", archive); code != 0 {
		t.Errorf("verify of a fresh archive: exit %d", code)
	}
	dest := t.TempDir()
	if _, errOut, code = runCoroner(t, exe, "extract", archive, "-C", dest, "goroutines.txt"); code != 0 {
		t.Errorf("extract: exit %d: %s", code, errOut)
	}
	if got, _ := os.ReadFile(filepath.Join(dest, "artifacts", "goroutine-dump", "goroutines.txt")); !bytes.Equal(got, dump) {
		t.Error("extracted dump differs from the original")
	}

	// Damage and misuse, with their documented exit codes.
	b, _ := os.ReadFile(archive)
	cut := filepath.Join(t.TempDir(), "cut.tar.zst")
	os.WriteFile(cut, b[:len(b)-100], 0o644)
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"verify", cut}, exitInput},
		{[]string{"ls", filepath.Join(in, "notes.bin")}, exitInput},
		{[]string{"extract", archive, "-C", t.TempDir(), "nope"}, exitInput},
		{[]string{"ingest", "-o", filepath.Join(t.TempDir(), "x.tar.zst"), filepath.Join(in, "missing")}, exitInput},
		{[]string{"ingest", "-o", filepath.Join(t.TempDir(), "x.tar.zst"), "--max-member", "3B", in}, exitInput},
		{[]string{"ingest", "--label", "novalue", in}, exitUsage},
		{[]string{"ingest"}, exitUsage},
		{[]string{"verify"}, exitUsage},
	} {
		if _, errOut, code := runCoroner(t, exe, c.args...); code != c.code {
			t.Errorf("coroner %v: exit %d, want %d\n%s", c.args, code, c.code, errOut)
		}
	}
}
