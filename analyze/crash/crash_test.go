package crash

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/testcore"
	"github.com/coroner/coroner/internal/worker"
)

func TestMain(m *testing.M) {
	worker.Main()
	os.Exit(m.Run())
}

// workerSrc writes to a nil map inside a method called from a worker.
const workerSrc = `package main

import "time"

type cache struct{ m map[string][]byte }

func (c *cache) store(k string, v []byte) { c.m[k] = v }

func handle(c *cache, req string) { c.store(req, nil) }

func main() {
	c := &cache{}
	for i := 0; i < 3; i++ {
		go func() { time.Sleep(time.Hour) }()
	}
	go handle(c, "key")
	time.Sleep(time.Hour)
}
`

func crashFinding(t *testing.T, files []analyzetest.File) (*analyze.Finding, *Result) {
	t.Helper()
	src, err := analyzetest.NewDirSource("crash", files)
	if err != nil {
		t.Fatal(err)
	}
	r := analyzetest.Run(t, src, Analyzer)
	fs := analyzetest.FindingsOf(r, "crash")
	if len(fs) != 1 {
		t.Fatalf("crash findings: %+v", r.Findings)
	}
	return &fs[0], nil
}

// TestCoreAndTextAgree analyses the same crash from its core and from its
// crash output alone: same culprit, same signature.
func TestCoreAndTextAgree(t *testing.T) {
	exe := testcore.Build(t, workerSrc)
	core, stderr := testcore.Crash(t, exe)
	log := filepath.Join(filepath.Dir(core), "crash.log")
	if err := os.WriteFile(log, stderr, 0o644); err != nil {
		t.Fatal(err)
	}
	fromCore, _ := crashFinding(t, []analyzetest.File{{Disk: exe, Kind: bundle.KindGoBinary}, {Disk: core, Kind: bundle.KindCore}})
	fromText, _ := crashFinding(t, []analyzetest.File{{Disk: log, Kind: bundle.KindGoroutineDump}})
	for name, f := range map[string]*analyze.Finding{"core": fromCore, "text": fromText} {
		if f.Cause != analyze.CauseCrash || f.Severity != analyze.Critical {
			t.Errorf("%s: cause %q severity %v", name, f.Cause, f.Severity)
		}
		if f.Culprit == nil || f.Culprit.Function != "main.(*cache).store" || f.Culprit.Line != 7 {
			t.Errorf("%s: culprit %+v", name, f.Culprit)
		}
		if !strings.Contains(f.Title, "assignment to entry in nil map") {
			t.Errorf("%s: title %q", name, f.Title)
		}
		if !strings.Contains(f.Remedy, "make") {
			t.Errorf("%s: remedy %q", name, f.Remedy)
		}
	}
	if fromCore.ID != fromText.ID {
		t.Errorf("signature differs: core %s, text %s", fromCore.ID, fromText.ID)
	}
	if !strings.Contains(fromCore.Summary, "main.(*cache).store < main.handle") {
		t.Errorf("signature frames: %s", fromCore.Summary)
	}
}

func TestNoCrash(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "debug2.txt")
	dump := "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:5 +0x1d\n"
	if err := os.WriteFile(p, []byte(dump), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := analyzetest.NewDirSource("nocrash", []analyzetest.File{{Disk: p, Kind: bundle.KindGoroutineDump}})
	if err != nil {
		t.Fatal(err)
	}
	r := analyzetest.Run(t, src, Analyzer)
	if fs := analyzetest.FindingsOf(r, "crash"); len(fs) != 0 {
		t.Errorf("findings without a crash: %+v", fs)
	}
}
