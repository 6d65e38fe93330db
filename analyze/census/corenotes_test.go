package census

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/ingest"
	"github.com/coroner/coroner/internal/testcore"
)

// selfAbortSrc sends itself SIGABRT: a crash core with no panic or fatal
// error in it, which coroner's core reader refuses and delve reads.
const selfAbortSrc = `package main

import "syscall"

func main() {
	syscall.Kill(syscall.Getpid(), syscall.SIGABRT)
	select {}
}
`

// TestCoreReadByDelveReported: when delve reads a core in place of
// coroner's reader, the report says so.
func TestCoreReadByDelveReported(t *testing.T) {
	exe := testcore.Build(t, selfAbortSrc)
	core, _ := testcore.Crash(t, exe)
	in := t.TempDir()
	for _, f := range []string{core, exe} {
		if err := os.Link(f, filepath.Join(in, filepath.Base(f))); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "incident.tar.zst")
	if _, err := ingest.Run(context.Background(), ingest.Options{Inputs: []string{in}, Output: path, Limits: ingest.DefaultLimits()}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CORONER_CACHE_DIR", t.TempDir())
	a, err := bundle.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	r := analyzetest.Run(t, a, Analyzer)
	for _, f := range analyzetest.FindingsOf(r, "goroutines") {
		if strings.HasPrefix(f.ID, "goroutines/core-notes-") {
			if !strings.Contains(f.Summary, "refused this core") || !strings.Contains(f.Summary, "read by delve") {
				t.Errorf("finding %s: %s", f.ID, f.Summary)
			}
			return
		}
	}
	t.Errorf("no finding says how the core was read: %+v", analyzetest.FindingsOf(r, "goroutines"))
}
