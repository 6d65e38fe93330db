package source

import (
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coroner/coroner/analyze"
)

const (
	revA = "0123456789abcdef0123456789abcdef01234567"
	revB = "89abcdef0123456789abcdef0123456789abcdef"
)

func TestHeadRevisionLayouts(t *testing.T) {
	cases := map[string]struct {
		files map[string]string
		want  string
	}{
		"detached": {map[string]string{".git/HEAD": revA + "\n"}, revA},
		"loose branch": {map[string]string{".git/HEAD": "ref: refs/heads/main\n",
			".git/refs/heads/main": revB + "\n"}, revB},
		"packed branch": {map[string]string{".git/HEAD": "ref: refs/heads/main\n",
			".git/packed-refs": "# pack-refs with: peeled fully-peeled sorted \n" + revA + " refs/heads/other\n" +
				revB + " refs/heads/main\n^" + revA + "\n"}, revB},
		"loose beats packed": {map[string]string{".git/HEAD": "ref: refs/heads/main\n",
			".git/refs/heads/main": revA + "\n", ".git/packed-refs": revB + " refs/heads/main\n"}, revA},
		"symbolic chain": {map[string]string{".git/HEAD": "ref: refs/heads/alias\n",
			".git/refs/heads/alias": "ref: refs/heads/main\n", ".git/refs/heads/main": revB + "\n"}, revB},
		"worktree inside the tree": {map[string]string{".git": "gitdir: main/.git/worktrees/wt\n",
			"main/.git/worktrees/wt/HEAD": "ref: refs/heads/wt\n", "main/.git/worktrees/wt/commondir": "../..\n",
			"main/.git/packed-refs": revA + " refs/heads/wt\n"}, revA},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for rel, content := range c.files {
				write(t, dir, rel, content)
			}
			r, err := os.OpenRoot(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got, err := headRevision(r, ".git")
			if err != nil || got != c.want {
				t.Errorf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestHeadRevisionRefusals(t *testing.T) {
	outside := t.TempDir()
	write(t, outside, "HEAD", revA+"\n")
	cases := map[string]map[string]string{
		"gitdir outside":      {".git": "gitdir: " + outside + "\n"},
		"gitdir climbing out": {".git": "gitdir: ../../" + filepath.Base(outside) + "\n"},
		"ref climbing out":    {".git/HEAD": "ref: refs/../../../HEAD\n"},
		"unborn branch":       {".git/HEAD": "ref: refs/heads/main\n"},
		"garbage HEAD":        {".git/HEAD": "hello\n"},
		"self loop":           {".git/HEAD": "ref: refs/heads/a\n", ".git/refs/heads/a": "ref: refs/heads/a\n"},
	}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for rel, content := range files {
				write(t, dir, rel, content)
			}
			r, err := os.OpenRoot(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if got, err := headRevision(r, ".git"); err == nil {
				t.Errorf("got %q, want an error", got)
			}
		})
	}
}

// git runs git in dir with a fixed identity.
func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestStaleCheckoutIsFlagged builds a program from a real git checkout,
// so the toolchain stamps vcs.revision, and lists its source at that
// commit (no flag), after a further commit (flagged), and with the refs
// packed (still read).
func TestStaleCheckoutIsFlagged(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: cannot make a checkout the toolchain stamps")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not installed")
	}
	dir := t.TempDir()
	write(t, dir, "go.mod", "module example.com/stale\n\ngo 1.22\n")
	write(t, dir, "main.go", "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hi\")\n}\n")
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-q", "-m", "one")
	exe := filepath.Join(t.TempDir(), "stale")
	build := exec.Command(goBin, "build", "-trimpath", "-buildvcs=true", "-o", exe, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bi, err := buildinfo.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	b := &analyze.BuildInfo{MainPath: bi.Main.Path, GoVersion: bi.GoVersion}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			b.VCSRevision = s.Value
		}
	}
	if b.VCSRevision == "" {
		t.Fatalf("the build recorded no vcs.revision: %v", bi.Settings)
	}
	list := func() ([]string, analyze.Listing) {
		r := resultFor("example.com/stale/main.go", 6, 6, b)
		warns, err := Attach(r, Options{Roots: []string{dir}, Context: 1})
		if err != nil {
			t.Fatal(err)
		}
		return warns, r.Source.Listings[0]
	}
	if warns, l := list(); len(warns) != 0 || len(l.Stale) != 0 || l.Lines[1].Text != "\tfmt.Println(\"hi\")" {
		t.Fatalf("at the built commit: warnings %q, listing %+v", warns, l)
	}
	write(t, dir, "main.go", "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hello\")\n}\n")
	git(t, dir, "commit", "-q", "-am", "two")
	warns, l := list()
	if len(l.Stale) != 1 || !strings.Contains(l.Stale[0], "vcs.revision") || !strings.Contains(l.Stale[0], shortRev(b.VCSRevision)) {
		t.Fatalf("after a new commit: stale %q", l.Stale)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "main.go") {
		t.Errorf("warnings %q", warns)
	}
	git(t, dir, "pack-refs", "--all", "--prune")
	if _, err := os.Stat(filepath.Join(dir, ".git", "refs", "heads", "main")); err == nil {
		t.Fatal("pack-refs left the loose ref")
	}
	warns, l = list()
	if len(l.Stale) != 1 || len(warns) != 1 {
		t.Errorf("with packed refs: stale %q, warnings %q", l.Stale, warns)
	}
	git(t, dir, "checkout", "-q", b.VCSRevision)
	if warns, l = list(); len(l.Stale) != 0 || len(warns) != 0 {
		t.Errorf("detached at the built commit: stale %q, warnings %q", l.Stale, warns)
	}
}
