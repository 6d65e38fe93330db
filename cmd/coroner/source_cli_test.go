package main

import (
	"encoding/json"
	"html"
	"os"
	"os/exec"
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

// staleProgram burns CPU in one of its own functions under the CPU
// profiler and writes the profile to the file its argument names.
const staleProgram = `package main

import (
	"os"
	"runtime/pprof"
	"time"
)

func spin(d time.Duration) (n int) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		n++
	}
	return n
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	pprof.StartCPUProfile(f)
	spin(700 * time.Millisecond)
	pprof.StopCPUProfile()
	f.Close()
}
`

// TestAnalyzeSourceStale builds a program from a git checkout (so the
// toolchain stamps vcs.revision), profiles it, and lists its hottest line
// from the checkout: unflagged at the commit built, flagged as stale once
// HEAD has moved on.
func TestAnalyzeSourceStale(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: cannot make a checkout the toolchain stamps")
	}
	repo := t.TempDir()
	gitIn := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module example.com/spinner\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "main.go"), []byte(staleProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn("init", "-q", "-b", "main")
	gitIn("add", ".")
	gitIn("commit", "-q", "-m", "spinner")
	loose := t.TempDir()
	exe := filepath.Join(loose, "spinner")
	build := exec.Command("go", "build", "-trimpath", "-buildvcs=true", "-o", exe, ".")
	build.Dir = repo
	build.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if out, err := exec.Command(exe, filepath.Join(loose, "cpu.pprof")).CombinedOutput(); err != nil {
		t.Fatalf("spinner: %v\n%s", err, out)
	}
	coroner := buildCoroner(t)
	t.Setenv("CORONER_CACHE_DIR", t.TempDir())
	list := func() (analyze.Listing, string) {
		t.Helper()
		dir := t.TempDir()
		out, errOut, code := runCoroner(t, coroner, "analyze", "--format", "json", "-o", dir, "--source", repo, loose)
		if code != exitOK {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		b, err := os.ReadFile(filepath.Join(dir, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var r analyze.Result
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if r.Lines == nil || r.Lines.Build == nil || r.Lines.Build.VCSRevision == "" || r.Source == nil {
			t.Fatalf("no build revision or source in the result: %+v %+v", r.Lines, r.Source)
		}
		for _, l := range r.Source.Listings {
			if l.File == "example.com/spinner/main.go" {
				return l, errOut
			}
		}
		t.Fatalf("main.go not listed: %+v\n%s", r.Source.Listings, errOut)
		return analyze.Listing{}, ""
	}
	l, errOut := list()
	hot := false
	for _, s := range l.Lines {
		inSpin := strings.Contains(s.Text, "n++") || strings.Contains(s.Text, "time.Now()")
		hot = hot || (s.Target && inSpin && s.Values[analyze.SampleCPU].Cum > 0)
	}
	if len(l.Stale) != 0 || !hot {
		t.Fatalf("at the commit built: stale %q, listing %+v\n%s", l.Stale, l, errOut)
	}
	if err := os.WriteFile(filepath.Join(repo, "README"), []byte("moved on\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn("add", "README")
	gitIn("commit", "-q", "-m", "later")
	l, errOut = list()
	if len(l.Stale) != 1 || !strings.Contains(l.Stale[0], "vcs.revision") || !strings.Contains(errOut, "vcs.revision") {
		t.Errorf("after a later commit: stale %q\n%s", l.Stale, errOut)
	}
}
