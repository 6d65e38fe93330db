package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/internal/batch"
	"github.com/coroner/coroner/internal/index"
)

// buildCoroner builds this command into dir and returns its path.
func buildCoroner(t testing.TB) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "coroner")
	cmd := exec.Command("go", "build", "-o", exe, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("building coroner: %v", err)
	}
	return exe
}

// runCoroner runs exe with args and returns stdout, stderr and exit code.
func runCoroner(t testing.TB, exe string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(exe, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running coroner %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

// profileDir records real runtime artifacts of this test process — a CPU
// profile of a busy loop, a mutex profile and a goroutine dump — into a
// new directory.
func profileDir(t testing.TB, spin time.Duration) string {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	var x uint64
	for end := time.Now().Add(spin); time.Now().Before(end); {
		for i := range 100000 {
			x = x*31 + uint64(i)
		}
	}
	pprof.StopCPUProfile()
	f.Close()
	g, err := os.Create(filepath.Join(dir, "goroutines.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.Lookup("goroutine").WriteTo(g, 2); err != nil {
		t.Fatal(err)
	}
	g.Close()
	runtime.KeepAlive(x)
	return dir
}

// TestBatchCLI drives batch, search, index and diff through the built
// command on real archives and hostile files.
func TestBatchCLI(t *testing.T) {
	exe := buildCoroner(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	prof := profileDir(t, 300*time.Millisecond)
	var good []string
	for i := range 3 {
		a := filepath.Join(in, fmt.Sprintf("inc-%d.tar.zst", i))
		if _, errOut, code := runCoroner(t, exe, "ingest", "-q", "--id", fmt.Sprintf("inc-%d", i), "--label", "host=web-1", "-o", a, prof); code != 0 {
			t.Fatalf("ingest: exit %d: %s", code, errOut)
		}
		good = append(good, a)
	}
	src, err := os.ReadFile(good[0])
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"truncated.tar.zst":   src[:len(src)/2],
		"wrong-magic.tar.zst": append([]byte("PK\x03\x04"), src[4:]...),
	}
	for n, b := range bad {
		if err := os.WriteFile(filepath.Join(in, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	out := filepath.Join(dir, "out")
	stdout, stderr, code := runCoroner(t, exe, "--log-format", "json", "batch", "--jobs", "2", "--out", out, in)
	if code != exitInput {
		t.Fatalf("batch exit %d, want %d (some failed)\nstdout:\n%s\nstderr:\n%s", code, exitInput, stdout, stderr)
	}
	for n := range bad {
		if !strings.Contains(stdout, n) {
			t.Errorf("batch output does not list %s:\n%s", n, stdout)
		}
	}
	// Every stderr line is JSON under --log-format json.
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("stderr line is not JSON: %q", line)
		}
	}
	var s batch.Summary
	b, err := os.ReadFile(filepath.Join(out, batch.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.OK != len(good) || s.Failed != len(bad) {
		t.Fatalf("summary ok=%d failed=%d, want %d and %d", s.OK, s.Failed, len(good), len(bad))
	}

	// search finds the three incidents by host-independent fields.
	stdout, stderr, code = runCoroner(t, exe, "search", "--index", filepath.Join(out, index.FileName), "--json")
	if code != 0 {
		t.Fatalf("search exit %d: %s", code, stderr)
	}
	var runs []index.Run
	if err := json.Unmarshal([]byte(stdout), &runs); err != nil {
		t.Fatalf("search --json: %v\n%s", err, stdout)
	}
	if len(runs) != len(good) {
		t.Errorf("search found %d runs, want %d", len(runs), len(good))
	}
	cause := runs[0].Cause
	stdout, _, code = runCoroner(t, exe, "search", "--index", filepath.Join(out, index.FileName), "--cause", cause)
	if code != 0 || !strings.Contains(stdout, "3 incidents") {
		t.Errorf("search --cause %s: exit %d\n%s", cause, code, stdout)
	}

	// index adds a result JSON to another index.
	other := filepath.Join(dir, "other.sqlite")
	res := filepath.Join(out, s.Entries[0].Result)
	if _, stderr, code := runCoroner(t, exe, "index", "--index", other, res); code != 0 {
		t.Fatalf("index exit %d: %s", code, stderr)
	}
	if stdout, stderr, code := runCoroner(t, exe, "index", "--index", other, out); code != 0 || strings.Count(stdout, "indexed ") != len(good) {
		t.Errorf("index of the batch directory: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, stderr, code := runCoroner(t, exe, "--log-format", "json", "index", "--index", other, filepath.Join(in, "truncated.tar.zst")); code != exitInput || !strings.Contains(stderr, `"exit_code":3`) {
		t.Errorf("index of a truncated archive: exit %d, stderr %s", code, stderr)
	}

	// A re-run is a no-op with the same summary; a diff against itself is
	// empty (exit 0).
	if _, stderr, code := runCoroner(t, exe, "batch", "--out", out, "--compare-to", out, in); code != exitInput {
		t.Fatalf("re-run exit %d: %s", code, stderr)
	}
	b2, _ := os.ReadFile(filepath.Join(out, batch.SummaryFile))
	if !bytes.Equal(b, b2) {
		t.Error("re-run changed summary.json")
	}
	if stdout, stderr, code := runCoroner(t, exe, "diff", "--json", out, out); code != 0 {
		t.Errorf("diff of a run with itself: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// A result whose verdict a newer analyzer changed: diff names the
	// fields, as a table and as JSON, and exits 1.
	r, err := batch.ReadResult(res)
	if err != nil {
		t.Fatal(err)
	}
	r.Verdict.Cause, r.Verdict.Culprit = "lock_wait", &analyze.Culprit{Function: "main.(*cache).get"}
	changed := filepath.Join(dir, "changed.json")
	cb, _ := json.Marshal(r)
	if err := os.WriteFile(changed, cb, 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _, code = runCoroner(t, exe, "diff", res, changed)
	if code != exitFindings || !strings.Contains(stdout, "main.(*cache).get") || !strings.Contains(stdout, "cause") {
		t.Errorf("diff of a changed result: exit %d\n%s", code, stdout)
	}
	stdout, _, code = runCoroner(t, exe, "diff", "--json", res, changed)
	var d batch.Diff
	if err := json.Unmarshal([]byte(stdout), &d); err != nil || code != exitFindings || len(d.Changes) != 1 {
		t.Errorf("diff --json: exit %d, %v, %+v", code, err, d)
	}
}

// freePort returns a free TCP address on the loopback interface.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestSameCrashTwice captures the corpus crash scenario from two builds,
// batches both archives, and checks that they share one crash signature
// that search --signature finds. Frozen corpus archives are used when
// present (corpus/testdata/crash*.tar.zst).
func TestSameCrashTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("captures two crashing processes; not in -short")
	}
	exe := buildCoroner(t)
	dir := t.TempDir()
	archives, _ := filepath.Glob(filepath.Join("..", "..", "corpus", "testdata", "crash*.tar.zst"))
	var bins []string
	if len(archives) < 2 {
		archives = nil
		for i := range 2 {
			bin := filepath.Join(dir, fmt.Sprintf("crash-%d", i))
			// Two builds: the second is linked with an extra string, so
			// its build ID and addresses differ.
			build := exec.Command("go", "build", "-o", bin, "-ldflags", fmt.Sprintf("-X main.buildTag=b%d", i), "../../corpus/scenarios/crash")
			build.Stderr = os.Stderr
			if err := build.Run(); err != nil {
				t.Fatalf("building the crash scenario: %v", err)
			}
			addr := freePort(t)
			run := filepath.Join(dir, fmt.Sprintf("run-%d", i))
			if err := os.MkdirAll(run, 0o755); err != nil {
				t.Fatal(err)
			}
			a := filepath.Join(dir, fmt.Sprintf("crash-%d.tar.zst", i))
			_, stderr, code := runCoroner(t, exe, "collect", "--exec", "--pprof", "http://"+addr, "--duration", "3s",
				"--core", "none", "--perf", "off", "--dir", run, "--id", fmt.Sprintf("crash-%d", i), "-o", a,
				"--", bin, "-addr", addr, "-severity", "severe", "-crash-after", "1s")
			if _, err := os.Stat(a); err != nil {
				t.Fatalf("collect exit %d wrote no archive: %s", code, stderr)
			}
			archives = append(archives, a)
			bins = append(bins, bin)
		}
	}
	inputs := append([]string(nil), archives...)
	mismatch := ""
	if len(bins) == 2 {
		mismatch = coreOfOtherBinary(t, exe, dir, archives[0], bins[1])
		if mismatch != "" {
			inputs = append(inputs, mismatch)
		}
	}
	out := filepath.Join(dir, "out")
	if stdout, stderr, code := runCoroner(t, exe, append([]string{"batch", "--jobs", "2", "--out", out}, inputs...)...); code != 0 {
		t.Fatalf("batch exit %d\n%s\n%s", code, stdout, stderr)
	}
	if mismatch != "" {
		checkMismatch(t, out, mismatch)
	}
	db := filepath.Join(out, index.FileName)
	stdout, stderr, code := runCoroner(t, exe, "search", "--index", db, "--cause", "crash", "--json")
	if code != 0 {
		t.Fatalf("search: exit %d: %s", code, stderr)
	}
	var runs []index.Run
	if err := json.Unmarshal([]byte(stdout), &runs); err != nil {
		t.Fatal(err)
	}
	// The two captures, by archive digest.
	digests := map[string]bool{}
	sum, err := batch.ReadSummary(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range sum.Entries {
		if e.Input == archives[0] || e.Input == archives[1] {
			digests[e.ArchiveDigest] = true
		}
	}
	var sigs []string
	for _, r := range runs {
		if digests[r.ArchiveDigest] {
			sigs = append(sigs, r.Signature)
		}
	}
	if len(digests) != 2 || len(sigs) != 2 {
		all, _, _ := runCoroner(t, exe, "search", "--index", db)
		t.Fatalf("search --cause crash found %d of the 2 captures; the index holds:\n%s", len(sigs), all)
	}
	if sigs[0] == "" || sigs[0] != sigs[1] {
		t.Fatalf("signatures differ: %q vs %q", sigs[0], sigs[1])
	}
	stdout, _, code = runCoroner(t, exe, "search", "--index", db, "--signature", sigs[0], "--json")
	if err := json.Unmarshal([]byte(stdout), &runs); err != nil || code != 0 {
		t.Fatalf("search --signature: exit %d, %v", code, err)
	}
	found := 0
	for _, r := range runs {
		if digests[r.ArchiveDigest] {
			found++
		}
	}
	if found != 2 {
		t.Fatalf("search --signature %s found %d of the 2 captures", sigs[0], found)
	}
	t.Logf("both crashes share signature %s", sigs[0])
}

// coreOfOtherBinary re-packs archive with its Go binary replaced by bin (a
// different build), so its core belongs to another binary. It returns ""
// when the capture holds no core (the kernel's core_pattern sent it
// elsewhere).
func coreOfOtherBinary(t *testing.T, exe, dir, archive, bin string) string {
	t.Helper()
	x := filepath.Join(dir, "mismatch-x")
	if _, stderr, code := runCoroner(t, exe, "extract", "-C", x, archive); code != 0 {
		t.Fatalf("extract: exit %d: %s", code, stderr)
	}
	if cores, _ := filepath.Glob(filepath.Join(x, "artifacts", "core", "*")); len(cores) == 0 {
		t.Logf("the capture holds no core; skipping the core-of-another-binary case")
		return ""
	}
	old, _ := filepath.Glob(filepath.Join(x, "artifacts", "go-binary", "*"))
	for _, o := range old {
		os.Remove(o)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(x, "artifacts", "go-binary", "crash"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	a := filepath.Join(dir, "core-of-other-binary.tar.zst")
	if _, stderr, code := runCoroner(t, exe, "ingest", "-q", "--id", "mismatch", "-o", a, filepath.Join(x, "artifacts")); code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	return a
}

// checkMismatch checks the core-of-another-binary archive did not take the
// batch down: it was analyzed, and its result says the artifacts do not
// belong to the archived binary.
func checkMismatch(t *testing.T, out, archive string) {
	t.Helper()
	s, err := batch.ReadSummary(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range s.Entries {
		if e.Input != archive {
			continue
		}
		if e.Status != batch.StatusOK {
			t.Fatalf("core of another binary: %s: %s", e.Status, e.Error)
		}
		res, err := batch.ReadResult(filepath.Join(out, e.Result))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Findings {
			if f.ID == "inventory/build-id-mismatch" {
				t.Logf("core of another binary: %s", f.Title)
				return
			}
		}
		t.Fatalf("core of another binary: no build-ID mismatch finding in %+v", res.Findings)
	}
	t.Fatalf("core of another binary: not in the summary")
}
