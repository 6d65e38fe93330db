package census

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/bundle"
	slt "github.com/coroner/coroner/bundle/servicelog/servicelogtest"
)

// TestLogSources: a CRI log holding a SIGQUIT dump gives its census; one
// holding only gctrace and application lines gives none, and no warning.
func TestLogSources(t *testing.T) {
	gc, err := os.ReadFile(filepath.Join("..", "..", "bundle", "testdata", "seed", "gctrace.log"))
	if err != nil {
		t.Fatal(err)
	}
	quit, err := os.ReadFile(filepath.Join("..", "..", "bundle", "goroutines", "testdata", "sigquit.txt"))
	if err != nil {
		t.Fatal(err)
	}
	app := []byte("{\"level\":\"info\",\"msg\":\"served\"}\n{\"level\":\"info\",\"msg\":\"served\"}\n")
	dir := t.TempDir()
	write := func(name string, stderr []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, slt.WrapCRI(slt.Merge(app, stderr, "SIGQUIT: "), 0), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	quiet := write("quiet.log", gc)
	dumped := write("dumped.log", append(append([]byte(nil), gc...), quit...))
	for _, c := range []struct {
		path   string
		format string
	}{{quiet, ""}, {dumped, "sigquit"}} {
		src, err := analyzetest.NewDirSource("log", []analyzetest.File{{Disk: c.path, Kind: bundle.KindLog}})
		if err != nil {
			t.Fatal(err)
		}
		r, _, warns, err := Read(context.Background(), src, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(warns) > 0 {
			t.Errorf("%s: warnings %q", filepath.Base(c.path), warns)
		}
		got := ""
		if r.Census != nil {
			got = r.Census.Format
			if want := bytes.Count(quit, []byte("\ngoroutine ")); r.Census.Total() != want {
				t.Errorf("%s: %d goroutines, want %d", filepath.Base(c.path), r.Census.Total(), want)
			}
		}
		if got != c.format {
			t.Errorf("%s: census format %q, want %q", filepath.Base(c.path), got, c.format)
		}
	}
}
