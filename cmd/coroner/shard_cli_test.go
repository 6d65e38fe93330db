package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/internal/batch"
	"github.com/coroner/coroner/internal/blobstore"
	"github.com/coroner/coroner/internal/index"
	"github.com/coroner/coroner/internal/pgtest"
)

// shardArchives makes n small, distinct archives in dir: even ones hold the
// crash traceback of the frozen corpus crash (so they share one crash
// signature), odd ones real CPU and goroutine profiles of this process.
func shardArchives(t testing.TB, exe, dir string, n int) []string {
	t.Helper()
	crash := filepath.Join(t.TempDir(), "crash")
	if _, stderr, code := runCoroner(t, exe, "extract", "-C", crash, filepath.Join("..", "..", "corpus", "testdata", "crash.tar.zst"), "stderr.log"); code != 0 {
		t.Fatalf("extracting the corpus crash's traceback: exit %d: %s", code, stderr)
	}
	prof := profileDir(t, 200*time.Millisecond)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := range n {
		src, id := prof, fmt.Sprintf("prof-%03d", i)
		if i%2 == 0 {
			src, id = filepath.Join(crash, "artifacts"), fmt.Sprintf("crash-%03d", i)
		}
		a := filepath.Join(dir, id+".tar.zst")
		if _, stderr, code := runCoroner(t, exe, "ingest", "-q", "--id", id, "-o", a, src); code != 0 {
			t.Fatalf("ingest %s: exit %d: %s", id, code, stderr)
		}
		out = append(out, a)
	}
	return out
}

// progressLine is one --log-format json line a batch prints per input.
type progressLine struct {
	Input  string `json:"input"`
	Status string `json:"status"`
	Cached bool   `json:"cached"`
}

// shardRun is one shard process of a sharded batch.
type shardRun struct {
	cmd    *exec.Cmd
	lines  chan progressLine
	stderr bytes.Buffer
	done   chan struct{}
}

// startShard starts `coroner batch` as Kubernetes starts shard k of an
// Indexed Job of n completions.
func startShard(t *testing.T, exe string, k, n int, args ...string) *shardRun {
	t.Helper()
	s := &shardRun{lines: make(chan progressLine, 1000), done: make(chan struct{})}
	s.cmd = exec.Command(exe, append([]string{"--log-format", "json", "batch", "--jobs", "1"}, args...)...)
	s.cmd.Env = append(os.Environ(), fmt.Sprintf("JOB_COMPLETION_INDEX=%d", k), fmt.Sprintf("JOB_COMPLETIONS=%d", n))
	pipe, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(s.done)
		defer close(s.lines)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			s.stderr.Write(append(sc.Bytes(), '\n'))
			var l progressLine
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Input != "" {
				s.lines <- l
			}
		}
	}()
	return s
}

// wait waits for the shard and returns its exit code.
func (s *shardRun) wait() int {
	for range s.lines {
	}
	<-s.done
	err := s.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// shardedScenario is the acceptance scenario of a sharded re-analysis:
// four shard processes over the same inputs into one output location and
// one index, one of them killed after its first archive and re-run.
type shardedScenario struct {
	exe      string
	inputs   []string // archives as the shards are given them
	inputArg string   // the argument that lists them
	out      string
	index    string
}

// run runs the scenario and checks its outcome.
func (sc shardedScenario) run(t *testing.T) {
	const n, victim = 4, 1
	args := []string{"--out", sc.out, "--index", sc.index, sc.inputArg}
	shards := make([]*shardRun, n)
	for k := range n {
		shards[k] = startShard(t, sc.exe, k, n, args...)
	}
	// The victim is killed once it has finished one archive.
	killed := false
	for l := range shards[victim].lines {
		if l.Status == batch.StatusOK && !l.Cached {
			killed = shards[victim].cmd.Process.Signal(syscall.SIGKILL) == nil
			break
		}
	}
	var wg sync.WaitGroup
	codes := make([]int, n)
	for k := range n {
		wg.Add(1)
		go func() { defer wg.Done(); codes[k] = shards[k].wait() }()
	}
	wg.Wait()
	for k, c := range codes {
		if k != victim && c != 0 {
			t.Fatalf("shard %d: exit %d\n%s", k, c, shards[k].stderr.String())
		}
	}
	if !killed || codes[victim] == 0 {
		t.Logf("shard %d finished before it could be killed (exit %d)", victim, codes[victim])
	}
	// What is stored now is what the re-run must not redo.
	stored := sc.countResults(t)

	rerun := startShard(t, sc.exe, victim, n, args...)
	redone := 0
	for l := range rerun.lines {
		if !l.Cached {
			redone++
		}
	}
	if c := rerun.wait(); c != 0 {
		t.Fatalf("re-run of shard %d: exit %d\n%s", victim, c, rerun.stderr.String())
	}
	if want := len(sc.inputs) - stored; redone != want {
		t.Errorf("re-run of shard %d analyzed %d archives, want %d (the %d of %d not yet stored)", victim, redone, want, want, len(sc.inputs))
	}
	t.Logf("killed shard %d with %d of %d archives stored; its re-run analyzed %d", victim, stored, len(sc.inputs), redone)

	// Every archive is listed by exactly one shard, and analyzed.
	seen := map[string]int{}
	for k := range n {
		for _, e := range sc.summary(t, batch.Shard{Index: k, Count: n}).Entries {
			seen[filepath.Base(e.Input)]++
			if e.Status != batch.StatusOK {
				t.Errorf("shard %d: %s: %s %s", k, e.Input, e.Status, e.Error)
			}
		}
	}
	for _, in := range sc.inputs {
		if seen[filepath.Base(in)] != 1 {
			t.Errorf("%s listed by %d shards, want 1", in, seen[filepath.Base(in)])
		}
	}
	if got := sc.countResults(t); got != len(sc.inputs) {
		t.Errorf("%d results stored, want %d", got, len(sc.inputs))
	}
	sc.checkIndex(t)
}

// checkIndex: the index holds one row per archive, and search finds the
// crash signature the even archives share.
func (sc shardedScenario) checkIndex(t *testing.T) {
	stdout, stderr, code := runCoroner(t, sc.exe, "search", "--index", sc.index, "--json")
	if code != 0 {
		t.Fatalf("search: exit %d: %s", code, stderr)
	}
	var runs []index.Run
	if err := json.Unmarshal([]byte(stdout), &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs) != len(sc.inputs) {
		t.Errorf("index holds %d runs, want %d", len(runs), len(sc.inputs))
	}
	var sig string
	for _, r := range runs {
		if r.Cause == "crash" {
			sig = r.Signature
		}
	}
	stdout, stderr, code = runCoroner(t, sc.exe, "search", "--index", sc.index, "--signature", sig, "--json")
	if err := json.Unmarshal([]byte(stdout), &runs); code != 0 || err != nil {
		t.Fatalf("search --signature %q: exit %d, %v: %s", sig, code, err, stderr)
	}
	if want := (len(sc.inputs) + 1) / 2; sig == "" || len(runs) != want {
		t.Errorf("search --signature %q found %d incidents, want %d", sig, len(runs), want)
	}
}

// countResults counts the results stored in the output.
func (sc shardedScenario) countResults(t *testing.T) int {
	n := 0
	err := batch.ReadStored(context.Background(), sc.out, func(*analyze.Result, string, string) error { n++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// summary reads shard s's summary.
func (sc shardedScenario) summary(t *testing.T, s batch.Shard) *batch.Summary {
	b := readStored(t, sc.out, s.SummaryName())
	var sum batch.Summary
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	return &sum
}

// readStored reads rel under out, a directory or an object-store prefix.
func readStored(t *testing.T, out, rel string) []byte {
	t.Helper()
	if !blobstore.IsURL(out) {
		b, err := os.ReadFile(filepath.Join(out, rel))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	loc, err := blobstore.Open(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := loc.ReadAll(context.Background(), loc.Join(rel), 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestShardedBatchLocal runs the sharded scenario over a directory of
// archives into a shared output directory and a PostgreSQL index.
func TestShardedBatchLocal(t *testing.T) {
	exe := buildCoroner(t)
	dir := t.TempDir()
	archives := shardArchives(t, exe, filepath.Join(dir, "in"), 16)
	sc := shardedScenario{exe: exe, inputs: archives, inputArg: filepath.Join(dir, "in"),
		out: filepath.Join(dir, "out"), index: pgtest.DSN(t)}
	sc.run(t)

	// Flags: --shard wins over the environment, and bad values are usage errors.
	for _, bad := range [][]string{{"--shard", "4/4"}, {"--shard", "1/4", "--shards", "3"}, {"--shards", "3"}} {
		_, stderr, code := runCoroner(t, exe, append(append([]string{"batch", "--out", filepath.Join(dir, "x")}, bad...), sc.inputArg)...)
		if code != exitUsage || !strings.Contains(stderr, "shard") {
			t.Errorf("batch %v: exit %d, want %d: %s", bad, code, exitUsage, stderr)
		}
	}
}
