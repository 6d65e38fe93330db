package main

import (
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coroner/coroner/analyze"
)

// TestAnalyzeSource lists the source of the frozen crash capture (built
// with -trimpath from this repository) at its culprit, from this
// repository as the module root, in all three report formats; then from a
// tree whose corpus directory is a link out of it, which is refused.
func TestAnalyzeSource(t *testing.T) {
	archive := filepath.Join("..", "..", "corpus", "testdata", "crash.tar.zst")
	if _, err := os.Stat(archive); err != nil {
		t.Skipf("frozen crash capture absent: %v", err)
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(repo, "corpus", "scenarios", "crash", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	coroner := buildCoroner(t)
	t.Setenv("CORONER_CACHE_DIR", t.TempDir())
	dir := t.TempDir()
	out, errOut, code := runCoroner(t, coroner, "analyze", "--format", "md,html,json", "-o", dir, "--source", repo, "--source-context", "2", archive)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var r analyze.Result
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	c := r.Verdict.Culprit
	if r.Verdict.Cause != analyze.CauseCrash || c == nil || c.File != "github.com/coroner/coroner/corpus/scenarios/crash/main.go" {
		t.Fatalf("verdict %+v", r.Verdict)
	}
	want := strings.Split(string(src), "\n")[c.Line-1]
	if !strings.Contains(want, "bySKU[") {
		t.Fatalf("line %d of the crash scenario is %q: the frozen capture no longer matches its source", c.Line, want)
	}
	if r.Source == nil || len(r.Source.Listings) == 0 {
		t.Fatalf("no source listings; warnings %q", errOut)
	}
	l := r.Source.Listings[0]
	if l.File != c.File || l.Path != "corpus/scenarios/crash/main.go" || len(l.Stale) != 0 {
		t.Fatalf("first listing %+v", l)
	}
	var line *analyze.SourceLine
	for i := range l.Lines {
		if l.Lines[i].Line == c.Line {
			line = &l.Lines[i]
		}
	}
	if line == nil || !line.Target || line.Text != want || line.Values[analyze.SampleCPU].Cum <= 0 {
		t.Fatalf("culprit line %+v in %+v", line, l)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := rowOf(string(md), strings.TrimSpace(strings.ReplaceAll(want, "\t", "    ")))
	if !strings.Contains(row, "→") || !strings.Contains(row, "ms") {
		t.Errorf("Markdown row of the culprit lacks its mark or its samples: %q", row)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	hrow := rowOf(string(page), html.EscapeString(strings.TrimSpace(want)))
	if !strings.HasPrefix(hrow, "<strong>") || !strings.Contains(hrow, "ms") {
		t.Errorf("HTML row of the culprit is not marked or lacks its samples: %q", hrow)
	}

	// The saved result is listed again by report, with a wider window.
	again := t.TempDir()
	if out, errOut, code = runCoroner(t, coroner, "report", filepath.Join(dir, "report.json"), "--format", "md", "-o", again, "--source", repo, "--source-context", "4"); code != exitOK {
		t.Fatalf("report --source: exit %d\n%s\n%s", code, out, errOut)
	}
	if md, err = os.ReadFile(filepath.Join(again, "report.md")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "4 lines either side") || !strings.Contains(rowOf(string(md), strings.TrimSpace(strings.ReplaceAll(want, "\t", "    "))), "→") {
		t.Errorf("report --source did not list the culprit with 4 lines of context")
	}

	// A tree whose corpus is a link to this repository's: refused, named.
	escape := t.TempDir()
	if err := os.WriteFile(filepath.Join(escape, "go.mod"), []byte("module github.com/coroner/coroner\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(repo, "corpus"), filepath.Join(escape, "corpus")); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runCoroner(t, coroner, "analyze", "--format", "json", "-o", dir, "--source", escape, archive)
	if code != exitOK {
		t.Fatalf("link out: exit %d\n%s\n%s", code, out, errOut)
	}
	if named := filepath.Join(escape, "corpus", "scenarios", "crash", "main.go"); !strings.Contains(errOut, "refusing "+named) {
		t.Errorf("no refusal naming %s:\n%s", named, errOut)
	}
	if b, err = os.ReadFile(filepath.Join(dir, "report.json")); err != nil {
		t.Fatal(err)
	}
	r = analyze.Result{}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	for _, l := range r.Source.Listings {
		if len(l.Lines) > 0 {
			t.Errorf("listed through a link out of the tree: %+v", l)
		}
	}

	if _, errOut, code = runCoroner(t, coroner, "analyze", "--source", filepath.Join(dir, "none"), archive); code != exitUsage {
		t.Errorf("missing --source tree: exit %d: %s", code, errOut)
	}
	if _, errOut, code = runCoroner(t, coroner, "analyze", "--source", repo, "--source-context", "-1", archive); code != exitUsage {
		t.Errorf("--source-context -1: exit %d: %s", code, errOut)
	}
}

// rowOf returns the line of text that contains s.
func rowOf(text, s string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
