package inventory_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/analyze/inventory"
	"github.com/coroner/coroner/bundle"
)

func TestMain(m *testing.M) {
	analyzetest.Main()
	os.Exit(m.Run())
}

func TestBuildIDMatching(t *testing.T) {
	files := analyzetest.Capture(t, "healthy", 300*time.Millisecond)
	cpu := analyzetest.Only(files, bundle.KindPprof, "cpu")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	src := analyzetest.Source(t, append(cpu, analyzetest.File{Disk: exe, Kind: bundle.KindGoBinary}))
	if src.Manifest().Artifacts[0].Attrs["build_id"] == "" && src.Manifest().Artifacts[1].Attrs["build_id"] == "" {
		t.Skip("this toolchain's binaries carry no GNU build ID for profiles to record")
	}
	r := analyzetest.Run(t, src, inventory.Analyzer)
	if fs := analyzetest.FindingsOf(r, "inventory"); len(fs) != 0 {
		t.Errorf("matching binary reported: %+v", fs)
	}

	// The go command is a Go binary too, built elsewhere: the profile does
	// not belong to it.
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	other, err := filepath.EvalSymlinks(goBin)
	if err != nil {
		t.Fatal(err)
	}
	src = analyzetest.Source(t, append(cpu, analyzetest.File{Disk: other, Kind: bundle.KindGoBinary}))
	r = analyzetest.Run(t, src, inventory.Analyzer)
	fs := analyzetest.FindingsOf(r, "inventory")
	if len(fs) != 1 || fs[0].Severity != analyze.Warning || fs[0].ID != "inventory/build-id-mismatch" {
		t.Fatalf("mismatch not reported: %+v", fs)
	}
	t.Log(fs[0].Title, "—", fs[0].Summary)
}
