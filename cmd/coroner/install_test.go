package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// installed runs make install into a fresh DESTDIR, as a packager would,
// and returns the DESTDIR and PREFIX.
func installed(t *testing.T) (string, string) {
	t.Helper()
	for _, tool := range []string{"make", "install", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH: %v", tool, err)
		}
	}
	dest := t.TempDir()
	const prefix = "/usr/local"
	cmd := exec.Command("make", "-C", filepath.Join("..", ".."), "install",
		"DESTDIR="+dest, "PREFIX="+prefix, "BIN="+filepath.Join(t.TempDir(), "coroner"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	return dest, prefix
}

// TestMakeInstall checks that make install puts the binary, the manual page
// and the three completion scripts where the tools look under PREFIX, and
// that each is what its tool accepts.
func TestMakeInstall(t *testing.T) {
	dest, prefix := installed(t)
	root := filepath.Join(dest, prefix)
	for _, p := range []string{"bin/coroner", "share/man/man1/coroner.1",
		"share/bash-completion/completions/coroner", "share/zsh/site-functions/_coroner",
		"share/fish/vendor_completions.d/coroner.fish"} {
		st, err := os.Stat(filepath.Join(root, p))
		if err != nil {
			t.Errorf("make install left no %s: %v", p, err)
			continue
		}
		if st.Size() == 0 {
			t.Errorf("%s is empty", p)
		}
	}
	out, err := exec.Command(filepath.Join(root, "bin", "coroner"), "version").Output()
	if err != nil || len(out) == 0 {
		t.Errorf("installed coroner version: %v %q", err, out)
	}
	man, err := os.ReadFile(filepath.Join(root, "share/man/man1/coroner.1"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(man, []byte(".nh\n.TH coroner 1")) {
		t.Errorf("manual page starts %q, want a section 1 page", man[:min(len(man), 40)])
	}
	for _, c := range newApp().Commands {
		if !c.Hidden && !bytes.Contains(man, []byte("\n.SH "+c.Name+"\n")) {
			t.Errorf("manual page has no section for command %s", c.Name)
		}
	}
	checkRoff(t, filepath.Join(root, "share/man/man1/coroner.1"))
	checkSyntax(t, "bash", filepath.Join(root, "share/bash-completion/completions/coroner"))
	checkSyntax(t, "zsh", filepath.Join(root, "share/zsh/site-functions/_coroner"))
	checkSyntax(t, "fish", filepath.Join(root, "share/fish/vendor_completions.d/coroner.fish"))
	t.Run("bash completion", func(t *testing.T) { testBashCompletion(t, root) })
}

// checkRoff formats the page with groff's warnings on (-ww) and its input
// converted from UTF-8 as man(1) does (-k); any warning fails.
func checkRoff(t *testing.T, page string) {
	t.Helper()
	if _, err := exec.LookPath("groff"); err != nil {
		t.Logf("groff not on PATH (%v); manual page not formatted", err)
		return
	}
	out, err := exec.Command("groff", "-k", "-man", "-ww", "-z", page).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("groff -man -ww %s: %v\n%s", page, err, out)
	}
}

// checkSyntax parses a completion script with its shell without running it.
func checkSyntax(t *testing.T, shell, script string) {
	t.Helper()
	if _, err := exec.LookPath(shell); err != nil {
		t.Logf("%s not on PATH (%v); %s not parsed", shell, err, script)
		return
	}
	if out, err := exec.Command(shell, "-n", script).CombinedOutput(); err != nil {
		t.Errorf("%s -n %s: %v\n%s", shell, script, err, out)
	}
}

// testBashCompletion drives the bash completion installed under root as
// bash does on TAB: COMP_WORDS holds the words typed, and the installed
// coroner on PATH is asked for the candidates.
func testBashCompletion(t *testing.T, root string) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not on PATH:", err)
	}
	script := filepath.Join(root, "share/bash-completion/completions/coroner")
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{[]string{"coroner", "col"}, "collect"},
		{[]string{"coroner", "comp"}, "completion"},
		{[]string{"coroner", "collect", "--pp"}, "--pprof"},
		{[]string{"coroner", "report", "in.tar.zst", "--form"}, "--format"},
		{[]string{"coroner", "cache", "pr"}, "prune"},
	} {
		driver := `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _coroner; printf '%s\n' "${COMPREPLY[@]}"`
		cmd := exec.Command("bash", append([]string{"-c", driver, "bash", script}, tc.words...)...)
		cmd.Env = append(os.Environ(), "PATH="+filepath.Join(root, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%q: %v\n%s", tc.words, err, out)
			continue
		}
		if got := strings.Fields(string(out)); len(got) != 1 || got[0] != tc.want {
			t.Errorf("completing %q: got %q, want %q", tc.words, got, tc.want)
		}
	}
}

// TestCompletionRejectsUnknownShell checks the usage error.
func TestCompletionRejectsUnknownShell(t *testing.T) {
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}} {
		if _, code := runApp(t, args...); code != exitUsage {
			t.Errorf("coroner %q: exit %d, want %d", args, code, exitUsage)
		}
	}
	for _, sh := range []string{"bash", "zsh", "fish"} {
		out, code := runApp(t, "completion", sh)
		if code != exitOK || !strings.Contains(out, "coroner") {
			t.Errorf("coroner completion %s: exit %d, %d bytes", sh, code, len(out))
		}
	}
}
