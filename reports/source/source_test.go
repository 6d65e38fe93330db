package source

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/coroner/coroner/analyze"
)

// write creates a file under dir, with its directories.
func write(t testing.TB, dir, rel, content string) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// numbered returns n lines "line 1" … "line n".
func numbered(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(i))
		b.WriteByte('\n')
	}
	return b.String()
}

// resultFor is a result blaming file:line, with CPU samples at that line
// and at sampledLine.
func resultFor(file string, line, sampledLine int, b *analyze.BuildInfo) *analyze.Result {
	return &analyze.Result{
		Verdict: analyze.Verdict{FindingID: "lock_wait/x"},
		Findings: []analyze.Finding{{ID: "lock_wait/x",
			Culprit: &analyze.Culprit{Function: "main.lookup", File: file, Line: line}}},
		Lines: &analyze.LineSamples{
			Kinds: []analyze.SampleKind{{Name: analyze.SampleCPU, Unit: "ns", Total: 100}},
			Build: b,
			Files: []analyze.FileSamples{{File: file, Lines: []analyze.LineSample{
				{Line: line, Values: map[string]analyze.LineValues{"cpu": {Flat: 30, Cum: 70}}},
				{Line: sampledLine, Values: map[string]analyze.LineValues{"cpu": {Cum: 5}}},
			}}},
		},
	}
}

func TestListsCulpritWithSamples(t *testing.T) {
	root := t.TempDir()
	write(t, root, "go.mod", "module example.com/svc // the service\n\ngo 1.26\n")
	write(t, root, "store/store.go", numbered(40))
	b := &analyze.BuildInfo{MainPath: "example.com/svc", GoVersion: "go1.26.8"}
	r := resultFor("example.com/svc/store/store.go", 20, 30, b)
	warns, err := Attach(r, Options{Roots: []string{root}, Context: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %q", warns)
	}
	if len(r.Source.Listings) != 1 {
		t.Fatalf("listings: %+v", r.Source.Listings)
	}
	l := r.Source.Listings[0]
	if l.Path != "store/store.go" || len(l.Lines) != 5 || l.Lines[0].Line != 18 || len(l.Stale) != 0 {
		t.Fatalf("listing %+v", l)
	}
	c := l.Lines[2]
	if c.Line != 20 || c.Text != "line 20" || !c.Target || c.Values["cpu"].Cum != 70 || c.Values["cpu"].Flat != 30 {
		t.Errorf("culprit line %+v", c)
	}
}

func TestShortFileIsStale(t *testing.T) {
	root := t.TempDir()
	write(t, root, "go.mod", "module example.com/svc\n")
	write(t, root, "main.go", numbered(25))
	r := resultFor("example.com/svc/main.go", 20, 31, &analyze.BuildInfo{MainPath: "example.com/svc"})
	warns, err := Attach(r, Options{Roots: []string{root}, Context: DefaultContext})
	if err != nil {
		t.Fatal(err)
	}
	l := r.Source.Listings[0]
	if len(l.Stale) != 1 || !strings.Contains(l.Stale[0], "has 25 lines") || !strings.Contains(l.Stale[0], "line 31") {
		t.Errorf("stale %q", l.Stale)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "main.go") {
		t.Errorf("warnings %q", warns)
	}
	if n := l.Lines[len(l.Lines)-1].Line; n != 25 {
		t.Errorf("last line listed %d, want 25 (the file's end)", n)
	}
}

func TestSymlinkOutOfRootIsRefused(t *testing.T) {
	outside := t.TempDir()
	secret := write(t, outside, "secret.go", "package secret // SECRET CONTENT\n"+numbered(30))
	write(t, outside, "pkg/inner.go", "SECRET DIR CONTENT\n"+numbered(30))
	root := t.TempDir()
	write(t, root, "go.mod", "module example.com/svc\n")
	if err := os.Symlink(secret, filepath.Join(root, "main.go")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "pkg"), filepath.Join(root, "pkg")); err != nil {
		t.Fatal(err)
	}
	// A link that stays inside the tree is followed.
	write(t, root, "real/ok.go", numbered(30))
	if err := os.Symlink("real", filepath.Join(root, "alias")); err != nil {
		t.Fatal(err)
	}
	b := &analyze.BuildInfo{MainPath: "example.com/svc"}
	r := resultFor("example.com/svc/main.go", 10, 10, b)
	r.Findings = append(r.Findings,
		analyze.Finding{ID: "b", Culprit: &analyze.Culprit{Function: "p.f", File: "example.com/svc/pkg/inner.go", Line: 3}},
		analyze.Finding{ID: "c", Culprit: &analyze.Culprit{Function: "a.f", File: "example.com/svc/alias/ok.go", Line: 3}})
	warns, err := Attach(r, Options{Roots: []string{root}, Context: 3})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(warns, "\n")
	for _, want := range []string{filepath.Join(root, "main.go"), filepath.Join(root, "pkg", "inner.go")} {
		if !strings.Contains(all, "refusing "+want) || !strings.Contains(all, "leads out of the source tree") {
			t.Errorf("no refusal naming %s in %q", want, warns)
		}
	}
	for _, l := range r.Source.Listings {
		for _, s := range l.Lines {
			if strings.Contains(s.Text, "SECRET") {
				t.Fatalf("read outside the tree: %+v", l)
			}
		}
		switch l.File {
		case "example.com/svc/main.go", "example.com/svc/pkg/inner.go":
			if l.Path != "" || len(l.Lines) != 0 {
				t.Errorf("escaping file listed: %+v", l)
			}
		case "example.com/svc/alias/ok.go":
			if l.Path != "alias/ok.go" || len(l.Lines) == 0 || l.Lines[0].Text != "line 1" {
				t.Errorf("link inside the tree not followed: %+v", l)
			}
		}
	}
}

func TestHostileFileNamesStayInside(t *testing.T) {
	parent := t.TempDir()
	write(t, parent, "escape.go", "ESCAPED\n")
	root := filepath.Join(parent, "tree")
	write(t, root, "x.go", "inside\n")
	for _, name := range []string{"../escape.go", "a/../../escape.go", filepath.Join(parent, "escape.go"), "/../escape.go"} {
		r := resultFor(name, 1, 1, nil)
		if _, err := Attach(r, Options{Roots: []string{root}}); err != nil {
			t.Fatal(err)
		}
		for _, l := range r.Source.Listings {
			for _, s := range l.Lines {
				if s.Text == "ESCAPED" {
					t.Errorf("%q read %s outside the tree", name, l.Path)
				}
			}
			if l.Path != "" {
				t.Errorf("%q found as %s", name, l.Path)
			}
		}
	}
}

func TestModuleCacheAndGoroot(t *testing.T) {
	modcache := t.TempDir()
	write(t, modcache, "github.com/!burnt!sushi/toml@v1.2.0/decode.go", numbered(12))
	goroot := t.TempDir()
	write(t, goroot, "VERSION", "go1.25.0\ntime 2025-08-01\n")
	write(t, goroot, "src/runtime/proc.go", numbered(12))
	b := &analyze.BuildInfo{MainPath: "example.com/svc", GoVersion: "go1.26.8",
		Modules: []analyze.Module{{Path: "github.com/BurntSushi/toml", Version: "v1.2.0"}}}
	r := resultFor("github.com/BurntSushi/toml@v1.2.0/decode.go", 5, 5, b)
	r.Findings = append(r.Findings, analyze.Finding{ID: "b", Culprit: &analyze.Culprit{Function: "runtime.schedule", File: "/usr/local/go/src/runtime/proc.go", Line: 7}})
	warns, err := Attach(r, Options{Roots: []string{modcache, goroot}, Context: 1})
	if err != nil {
		t.Fatal(err)
	}
	ls := r.Source.Listings
	if len(ls) != 2 || ls[0].Path != "github.com/!burnt!sushi/toml@v1.2.0/decode.go" || ls[0].Root != modcache || len(ls[0].Lines) != 3 {
		t.Fatalf("module cache listing: %+v", ls)
	}
	if ls[1].Path != "src/runtime/proc.go" || ls[1].Root != goroot || len(ls[1].Stale) != 1 || !strings.Contains(ls[1].Stale[0], "go1.25.0") {
		t.Errorf("GOROOT listing: %+v", ls[1])
	}
	if len(warns) != 1 {
		t.Errorf("warnings %q", warns)
	}
}

func TestNotFoundAndBadOptions(t *testing.T) {
	root := t.TempDir()
	r := resultFor("example.com/svc/gone.go", 3, 3, nil)
	warns, err := Attach(r, Options{Roots: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "example.com/svc/gone.go: not found") {
		t.Errorf("warnings %q", warns)
	}
	if _, err := Attach(r, Options{Roots: []string{filepath.Join(root, "missing")}}); err == nil {
		t.Error("a missing tree was accepted")
	}
	if _, err := Attach(r, Options{Roots: []string{root}, Context: MaxContext + 1}); err == nil {
		t.Error("context out of range accepted")
	}
}

func TestSpansMerge(t *testing.T) {
	got := spansOf([]analyze.Target{{Line: 2}, {Line: 8}, {Line: 30}}, 3)
	want := []span{{1, 11}, {27, 33}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("spans %v, want %v", got, want)
	}
}
