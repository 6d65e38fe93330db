package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/reports"
)

// runApp runs the CLI in process and returns stdout and the exit code.
func runApp(t *testing.T, args ...string) (string, int) {
	t.Helper()
	app := newApp()
	var out bytes.Buffer
	app.Writer = &out
	app.ErrWriter = &bytes.Buffer{}
	err := runArgs(app, append([]string{"coroner"}, args...))
	code := exitOK
	if err != nil {
		code = exitInternal
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
	}
	return out.String(), code
}

// TestReportRerendersResult re-renders a saved JSON result, with flags
// after the input as the README writes them, and gets the golden bytes.
func TestReportRerendersResult(t *testing.T) {
	cases := filepath.Join("..", "..", "reports", "testdata", "cases", "lockwait")
	dir := t.TempDir()
	out, code := runApp(t, "report", filepath.Join(cases, "result.json"), "--format", "md,html,json", "-o", dir, "--max-bytes", "4096")
	if code != exitOK {
		t.Fatalf("exit %d, output %s", code, out)
	}
	if !strings.HasPrefix(out, "verdict: lock_wait (critical, confidence 86%)") {
		t.Errorf("stdout %q", out)
	}
	for file, golden := range map[string]string{"report.md": "report.maxbytes4096.md", "report.html": "report.html", "report.json": "report.json"} {
		got, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(cases, "golden", golden))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden %s", file, golden)
		}
		if !strings.Contains(out, filepath.Join(dir, file)) {
			t.Errorf("stdout does not name %s", file)
		}
	}
}

func TestReportErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"schema_version": 1, "tool": 5}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"report"}, exitUsage},
		{[]string{"report", bad, "--format", "pdf"}, exitUsage},
		{[]string{"report", bad, "--max-bytes", "-1"}, exitUsage},
		{[]string{"report", bad, "-o", dir}, exitInput},
		{[]string{"report", filepath.Join(dir, "missing.json")}, exitInput},
	} {
		if _, code := runApp(t, c.args...); code != c.code {
			t.Errorf("%v: exit %d, want %d", c.args, code, c.code)
		}
	}
	out, code := runApp(t, "report", "--print-schema")
	if code != exitOK || !strings.Contains(out, `"schema_version"`) {
		t.Errorf("--print-schema: exit %d", code)
	}
}

// TestReportAnalyzesDirectory analyzes loose artifacts recorded by the
// real runtime (a CPU profile and a goroutine dump of this test) and
// writes all three reports; the JSON reads back through the schema check.
func TestReportAnalyzesDirectory(t *testing.T) {
	in := profileDir(t, 300*time.Millisecond)
	dir := t.TempDir()
	out, code := runApp(t, "report", in, "-o", dir)
	if code != exitOK {
		t.Fatalf("exit %d, output %s", code, out)
	}
	if !strings.HasPrefix(out, "verdict: ") {
		t.Errorf("stdout %q", out)
	}
	f, err := os.Open(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := reports.ReadResult(f)
	if err != nil {
		t.Fatalf("report.json: %v", err)
	}
	if res.Flame == nil || res.Flame.Value == 0 {
		t.Fatal("no flame graph from the CPU profile")
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte(`id="flame-svg"`)) || !bytes.Contains(page, []byte("profileDir")) {
		t.Error("HTML report lacks the flame graph of the profiled loop")
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(md, []byte("# coroner report")) || !bytes.Contains(md, []byte("## Inventory")) {
		t.Error("Markdown report lacks its heading or inventory")
	}
}
