package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
)

// stageFiles copies recorded artifacts into one directory of loose files.
func stageFiles(t *testing.T, files []analyzetest.File) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		b, err := os.ReadFile(f.Disk)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f.Disk)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestAnalyzeCommand(t *testing.T) {
	coroner := buildCoroner(t)
	t.Setenv("CORONER_CACHE_DIR", t.TempDir())
	lock := stageFiles(t, analyzetest.Capture(t, "lock", time.Second))
	healthy := stageFiles(t, analyzetest.Capture(t, "healthy", time.Second))

	out, errOut, code := runCoroner(t, coroner, "analyze", lock, "--fail-on", "warning")
	if code != exitFindings || !strings.Contains(out, "lock_wait") {
		t.Errorf("lock, --fail-on warning: exit %d\n%s\n%s", code, out, errOut)
	}
	dir := t.TempDir()
	out, errOut, code = runCoroner(t, coroner, "analyze", "--format", "json,md", "-o", dir, lock)
	if code != exitOK {
		t.Fatalf("json: exit %d\n%s\n%s", code, out, errOut)
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r analyze.Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Verdict.Cause != analyze.CauseLockWait || r.Verdict.Culprit == nil {
		t.Errorf("verdict %+v", r.Verdict)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.md")); err != nil {
		t.Error(err)
	}
	if out, errOut, code = runCoroner(t, coroner, "analyze", "--fail-on", "warning", healthy); code != exitOK {
		t.Errorf("healthy: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, errOut, code = runCoroner(t, coroner, "analyze", filepath.Join(dir, "missing")); code != exitInput {
		t.Errorf("missing input: exit %d: %s", code, errOut)
	}
	if _, errOut, code = runCoroner(t, coroner, "analyze", "--only", "nope", lock); code != exitUsage || !strings.Contains(errOut, "unknown analyzer") {
		t.Errorf("unknown analyzer: exit %d: %s", code, errOut)
	}
	if _, errOut, code = runCoroner(t, coroner, "analyze", "--fail-on", "info", lock); code != exitUsage {
		t.Errorf("--fail-on info: exit %d: %s", code, errOut)
	}
	if _, errOut, code = runCoroner(t, coroner, "analyze", "--timeout", "1ns", lock); code != exitTimeout {
		t.Errorf("--timeout 1ns: exit %d: %s", code, errOut)
	}
	out, errOut, code = runCoroner(t, coroner, "--log-format", "json", "analyze", "--only", "cpu", "--format", "json", "-o", dir, lock)
	if code != exitOK || !strings.Contains(errOut, `"level":"info"`) {
		t.Errorf("--only cpu with json logs: exit %d\n%s\n%s", code, out, errOut)
	}
}
