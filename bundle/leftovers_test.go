package bundle

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
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
	sort.Strings(names)
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
		case strings.HasPrefix(n, stagePre):
			stages++
		case strings.Contains(n, tempMark):
			temps++
		}
	}
	if temps == 0 || stages == 0 {
		t.Fatalf("the killed runs left %q: no temporary archive or no stage directory, so the sweep is not tested", left)
	}
	var logged []string
	_, err := Ingest(context.Background(), IngestOptions{Inputs: []string{in}, Output: filepath.Join(outDir, "next.tar.zst"),
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
	removed, err := SweepLeftovers(outDir)
	if err != nil || len(removed) > 0 {
		t.Fatalf("sweep removed %q (%v) from a live ingest", removed, err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the live ingest failed after the sweep: %v", err)
	}
	if err := Verify(out); err != nil {
		t.Error(err)
	}
}

// Names tell coroner's temporaries from other files: only those are ever
// swept.
func TestClassifyLeftover(t *testing.T) {
	for name, want := range map[string]leftoverKind{
		".inc.tar.zst.tmp-p123-456":                ownedLeftover,
		".coroner-stage-p9-1":                      ownedLeftover,
		"." + strings.Repeat("ab", 32) + partialEx: ownedLeftover,
		".inc.tar.zst.tmp-1234":                    legacyLeftover,
		".coroner-stage-77":                        legacyLeftover,
		".out.pb.gz.tmp42":                         legacyLeftover,
		"inc.tar.zst":                              notLeftover,
		".inc.tar.zst.tmp-notes":                   notLeftover,
		".bashrc":                                  notLeftover,
		".coroner-stage-":                          notLeftover,
		".x.partial":                               notLeftover,
		"inc.tar.zst.tmp-p1-2":                     notLeftover,
	} {
		if got := classifyLeftover(name); got != want {
			t.Errorf("%q: %d, want %d", name, got, want)
		}
	}
}

// An earlier coroner's unlocked temporaries go only once an hour old.
func TestSweepLegacyByAge(t *testing.T) {
	dir := t.TempDir()
	fresh, old := filepath.Join(dir, ".a.tar.zst.tmp-1"), filepath.Join(dir, ".coroner-stage-2")
	os.WriteFile(fresh, nil, 0o644)
	os.Mkdir(old, 0o755)
	os.WriteFile(filepath.Join(old, "x"), nil, 0o644)
	past := time.Now().Add(-2 * legacyAge)
	os.Chtimes(old, past, past)
	removed, err := SweepLeftovers(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != old {
		t.Errorf("removed %q, want only the old stage directory", removed)
	}
}

// Extract writes each member through a temporary linked into place: a
// killed extract's temporary is swept by the next one into the same
// directory, a live one's is not, and a member that fails its check
// leaves nothing.
func TestExtractSweepsAndLeavesNoPartial(t *testing.T) {
	path, m := smallArchive(t)
	dest := t.TempDir()
	var art Artifact
	for _, a := range m.Artifacts {
		if a.Size > art.Size {
			art = a
		}
	}
	dir := filepath.Join(dest, filepath.Dir(art.Path))
	os.MkdirAll(dir, 0o755)
	dead := filepath.Join(dir, "."+filepath.Base(art.Path)+".tmp-p999999-1")
	os.WriteFile(dead, []byte("part of a member"), 0o644)
	live := filepath.Join(dir, ".other.tmp-p1-2")
	lf, _ := os.Create(live)
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if err := Extract(path, dest, []string{art.Path}); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(dir); len(got) != 2 || got[0] != ".other.tmp-p1-2" || got[1] != filepath.Base(art.Path) {
		t.Errorf("after extract %s holds %q, want the member and the live temporary", dir, got)
	}
	// A member whose bytes do not match the manifest leaves nothing.
	b, _ := os.ReadFile(path)
	bad := filepath.Join(t.TempDir(), "bad.tar.zst")
	for _, end := range frameEnds(t, b) {
		if end > len(b)/2 {
			c := bytes.Clone(b)
			c[end-20] ^= 0x40
			os.WriteFile(bad, c, 0o644)
			break
		}
	}
	dest2 := t.TempDir()
	if err := Extract(bad, dest2, nil); err == nil {
		t.Fatal("extract of an altered archive succeeded")
	}
	filepath.WalkDir(dest2, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(d.Name(), tempMark) {
			t.Errorf("failed extract left %s", p)
		}
		return nil
	})
}
