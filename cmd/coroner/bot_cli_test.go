package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
)

// botMaxBytes is the --max-bytes of the README's bot example: a ticket
// comment limit.
const botMaxBytes = 65536

// TestBotExample runs the README's bot command on .zip and .tar.gz
// attachments of real runtime profiles, on a damaged attachment, and with
// a time budget too short to finish.
func TestBotExample(t *testing.T) {
	exe := buildCoroner(t)
	t.Setenv("CORONER_CACHE_DIR", t.TempDir())
	prof := profileDir(t, 300*time.Millisecond)
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "attachment.zip")
	tgzPath := filepath.Join(dir, "attachment.tar.gz")
	writeAttachmentZip(t, zipPath, prof)
	writeAttachmentTgz(t, tgzPath, prof)

	for _, att := range []string{zipPath, tgzPath} {
		out := t.TempDir()
		_, stderr, code := runCoroner(t, exe, "--log-format", "json", "analyze", "--format", "json,md",
			"--max-bytes", "65536", "--fail-on", "critical", "-o", out, att)
		if code != exitOK && code != exitFindings {
			t.Fatalf("%s: exit %d\n%s", filepath.Base(att), code, stderr)
		}
		assertJSONLines(t, stderr)
		b, err := os.ReadFile(filepath.Join(out, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var r analyze.Result
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: report.json: %v", filepath.Base(att), err)
		}
		critical := false
		for _, f := range r.Findings {
			critical = critical || f.Severity >= analyze.Critical
		}
		if critical != (code == exitFindings) {
			t.Errorf("%s: exit %d but critical findings = %v", filepath.Base(att), code, critical)
		}
		if r.Verdict.Cause == "" || r.Incident.ArchiveDigest == "" {
			t.Errorf("%s: verdict %+v, digest %q", filepath.Base(att), r.Verdict, r.Incident.ArchiveDigest)
		}
		md, err := os.Stat(filepath.Join(out, "report.md"))
		if err != nil || md.Size() > botMaxBytes {
			t.Errorf("%s: report.md: %v (size %d, cap %d)", filepath.Base(att), err, md.Size(), botMaxBytes)
		}
	}

	// A damaged attachment: exit 3 and one machine-readable error line.
	b, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.zip")
	if err := os.WriteFile(broken, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCoroner(t, exe, "--log-format", "json", "analyze", "--format", "json,md",
		"--max-bytes", "65536", "--fail-on", "critical", "-o", t.TempDir(), broken)
	if code != exitInput {
		t.Errorf("broken attachment: exit %d, want %d\n%s", code, exitInput, stderr)
	}
	lines := assertJSONLines(t, stderr)
	var sawError bool
	for _, m := range lines {
		if m["level"] == "error" && m["exit_code"] == float64(exitInput) && strings.Contains(m["error"].(string), "broken.zip") {
			sawError = true
		}
	}
	if !sawError {
		t.Errorf("no JSON error line naming the file with exit_code 3:\n%s", stderr)
	}

	// A budget that expires during the analysis: exit 5, and the report is
	// still written with what finished. (The attachment is ingested first,
	// so the budget is not spent before the analyzers start.)
	archive := filepath.Join(dir, "attachment.tar.zst")
	if _, stderr, code := runCoroner(t, exe, "ingest", "-q", "-o", archive, zipPath); code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	out := t.TempDir()
	_, stderr, code = runCoroner(t, exe, "--log-format", "json", "analyze", "--format", "json,md",
		"--max-bytes", "65536", "--fail-on", "critical", "--timeout", "1ns", "-o", out, archive)
	if code != exitTimeout {
		t.Errorf("--timeout 1ns: exit %d, want %d\n%s", code, exitTimeout, stderr)
	}
	assertJSONLines(t, stderr)
	b, err = os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatalf("--timeout 1ns wrote no report.json: %v", err)
	}
	var r analyze.Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	timedOut := false
	for _, a := range r.Analyzers {
		timedOut = timedOut || a.Status == analyze.StatusTimeout
	}
	if !timedOut {
		t.Errorf("--timeout 1ns: no analyzer recorded as timed out: %+v", r.Analyzers)
	}
}

// assertJSONLines checks every non-empty stderr line is a JSON object.
func assertJSONLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("stderr line is not JSON: %q", line)
			continue
		}
		out = append(out, m)
	}
	return out
}

func writeAttachmentZip(t *testing.T, path, dir string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create("incident/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeAttachmentTgz(t *testing.T, path, dir string) {
	t.Helper()
	var buf bytes.Buffer
	gw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gw)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: e.Name(), Mode: 0o644, Size: int64(len(b)), ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
