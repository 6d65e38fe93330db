package ingest

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coroner/coroner/bundle"
)

// ingestChild starts the test binary ingesting in into out slowly (see
// runChild) and returns once it has begun writing.
func ingestChild(t *testing.T, in, out string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CORONER_TEST_CHILD=1", "CORONER_TEST_SLOW=1", "CORONER_TEST_IN="+in, "CORONER_TEST_OUT="+out)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	buf := make([]byte, 7)
	if _, err := io.ReadFull(stdout, buf); err != nil || string(buf) != "started" {
		t.Fatalf("child said %q, %v", buf, err)
	}
	go io.Copy(io.Discard, stdout)
	return cmd
}

// slowInput is an input directory of ten 1 MiB files: the slow child
// pauses after each.
func slowInput(t *testing.T) string {
	in := t.TempDir()
	for i := range 10 {
		os.WriteFile(filepath.Join(in, "blob"+string(rune('a'+i))), bytes.Repeat([]byte{byte(i)}, 1<<20+i), 0o644)
	}
	return in
}

func dirNames(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// SIGKILL at random moments of ingests, then one more ingest into the
// same directory: no temporary archive or stage directory survives it.
func TestKilledIngestsLeftoversSwept(t *testing.T) {
	in := slowInput(t)
	outDir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 5 {
		cmd := ingestChild(t, in, filepath.Join(outDir, "o.tar.zst"))
		time.Sleep(time.Duration(rng.Int64N(int64(1500 * time.Millisecond))))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		t.Logf("after kill %d: %q", i, dirNames(outDir))
	}
	left := dirNames(outDir)
	var temps, stages int
	for _, n := range left {
		switch {
		case strings.HasPrefix(n, ".coroner-stage-"):
			stages++
		case strings.Contains(n, ".tmp-"):
			temps++
		}
	}
	if temps == 0 || stages == 0 {
		t.Fatalf("the killed runs left %q: no temporary archive or no stage directory, so the sweep is not tested", left)
	}
	var logged []string
	_, err := Run(context.Background(), Options{Inputs: []string{in}, Output: filepath.Join(outDir, "next.tar.zst"),
		Log: func(f string, a ...any) { logged = append(logged, f) }})
	if err != nil {
		t.Fatal(err)
	}
	if got := dirNames(outDir); len(got) != 1 || got[0] != "next.tar.zst" {
		t.Errorf("after the next run the directory holds %q, want only next.tar.zst", got)
	}
	if !strings.Contains(strings.Join(logged, "\n"), "left by a killed run") {
		t.Errorf("the sweep was not logged: %q", logged)
	}
}

// A sweep while another process is ingesting into the same directory
// leaves its files alone, and that ingest completes.
func TestSweepSparesLiveIngest(t *testing.T) {
	in := slowInput(t)
	outDir := t.TempDir()
	out := filepath.Join(outDir, "o.tar.zst")
	cmd := ingestChild(t, in, out)
	time.Sleep(300 * time.Millisecond)
	before := dirNames(outDir)
	if len(before) < 2 {
		t.Fatalf("the live ingest shows %q, want its temporary archive and stage directory", before)
	}
	removed, err := bundle.SweepLeftovers(outDir)
	if err != nil || len(removed) > 0 {
		t.Fatalf("sweep removed %q (%v) from a live ingest", removed, err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the live ingest failed after the sweep: %v", err)
	}
	if err := bundle.Verify(out); err != nil {
		t.Error(err)
	}
}
