package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/coroner/coroner/reports/export"
)

// TestAnalyzeExport runs analyze --export on the frozen crash capture: the
// four files are written and listed on stdout, and the pprof export opens
// with a positive total; an archive without CPU samples or gctrace says
// what it did not write.
func TestAnalyzeExport(t *testing.T) {
	coroner := buildCoroner(t)
	t.Setenv("CORONER_CACHE_DIR", t.TempDir())
	dir := filepath.Join(t.TempDir(), "exports")
	archive := filepath.Join("..", "..", "corpus", "testdata", "crash.tar.zst")
	out, errOut, code := runCoroner(t, coroner, "analyze", "--export", dir, archive)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, name := range []string{export.PprofFile, export.FoldedFile, export.SpeedscopeFile, export.GCPausesFile} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
		if !strings.Contains(out, p) {
			t.Errorf("stdout does not list %s:\n%s", p, out)
		}
	}
	f, err := os.Open(filepath.Join(dir, export.PprofFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, s := range p.Sample {
		total += s.Value[0]
	}
	if total <= 0 {
		t.Errorf("exported profile total %d", total)
	}

	// A capture with only a goroutine dump: nothing to export, and the log says why.
	empty := filepath.Join(t.TempDir(), "none")
	dump := t.TempDir()
	if err := os.WriteFile(filepath.Join(dump, "goroutines.txt"), []byte("goroutine 1 [running]:\nmain.main()\n\t/src/main.go:5 +0x1d\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runCoroner(t, coroner, "analyze", "--export", empty, dump)
	if code != exitOK || !strings.Contains(errOut, "not written: "+export.PprofFile) || !strings.Contains(errOut, "not written: "+export.GCPausesFile) {
		t.Errorf("no CPU samples, no GC: exit %d\n%s\n%s", code, out, errOut)
	}
}
