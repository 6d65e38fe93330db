package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/index"
	"github.com/coroner/coroner/internal/pgtest"
	"github.com/coroner/coroner/internal/worker"
)

// driverEnv makes the test binary run a batch (for the SIGKILL test):
// its value is a JSON driverArgs.
const driverEnv = "CORONER_BATCH_TEST_DRIVER"

type driverArgs struct {
	Inputs []string
	Out    string
}

func TestMain(m *testing.M) {
	an := Analysis{Analyze: testAnalyze}
	if os.Getenv(seekAllEnv) != "" {
		an.Seekable = func(*bundle.Manifest, bundle.Artifact) bool { return true }
	}
	RegisterWorker(an)
	analyzetest.Main()
	worker.Main()
	if a := os.Getenv(driverEnv); a != "" {
		var d driverArgs
		if err := json.Unmarshal([]byte(a), &d); err != nil {
			os.Exit(2)
		}
		_, err := Run(context.Background(), d.Inputs, nil, testOptions(d.Out, 1))
		if err != nil && !errors.Is(err, ErrFailures) {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	pgtest.Stop()
	if fix != nil {
		os.RemoveAll(fix.dir)
	}
	os.Exit(code)
}

// childLimits bound each test worker: the workloads' profiles need little.
var childLimits = worker.Limits{Memory: 512 << 20, Timeout: 2 * time.Minute}

func testOptions(out string, jobs int) Options {
	return Options{Jobs: jobs, Out: out, AnalyzerSet: testSet, Limits: childLimits}
}

// run runs a batch and records which inputs came from stored outcomes.
func run(t *testing.T, inputs, missing []string, o Options) (*Summary, map[string]bool, error) {
	t.Helper()
	cached := map[string]bool{}
	o.OnDone = func(e Entry, c bool) { cached[e.Input] = c }
	s, err := Run(context.Background(), inputs, missing, o)
	return s, cached, err
}

func TestBatchGoodAndHostile(t *testing.T) {
	f := getFixtures(t)
	inputs, missing, err := Expand([]string{filepath.Join(f.dir, "archives"), filepath.Join(f.dir, "nothing-*.tar.zst")})
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) != len(f.good)+len(f.bad) || len(missing) != 1 {
		t.Fatalf("Expand found %d inputs and %d missing, want %d and 1", len(inputs), len(missing), len(f.good)+len(f.bad))
	}
	out := t.TempDir()
	o := testOptions(out, 2)
	s, _, err := run(t, inputs, missing, o)
	if !errors.Is(err, ErrFailures) {
		t.Fatalf("Run error = %v, want ErrFailures", err)
	}
	byInput := map[string]Entry{}
	for _, e := range s.Entries {
		byInput[e.Input] = e
	}
	for _, g := range f.good {
		e := byInput[g]
		if e.Status != StatusOK || e.Result == "" {
			t.Errorf("%s: status %s, error %q; want ok", filepath.Base(g), e.Status, e.Error)
			continue
		}
		res, err := ReadResult(filepath.Join(out, e.Result))
		if err != nil {
			t.Errorf("%s: %v", g, err)
			continue
		}
		if !strings.HasPrefix(e.Key, attachmentPrefix) && res.Incident.ArchiveDigest != e.Key {
			t.Errorf("%s: result digest %s, key %s", g, res.Incident.ArchiveDigest, e.Key)
		}
		if len(res.Analyzers) == 0 || res.Analyzers[0].Status != "ok" {
			t.Errorf("%s: analyzers %+v", g, res.Analyzers)
		}
	}
	for b := range f.bad {
		e := byInput[b]
		if e.Status != StatusFailed || e.Error == "" || e.ExitCode == 0 {
			t.Errorf("%s: status %s, error %q, exit %d; want a failure with an error", filepath.Base(b), e.Status, e.Error, e.ExitCode)
		}
		t.Logf("%s: exit %d: %s", filepath.Base(b), e.ExitCode, e.Error)
		r := &runner{o: o}
		if !exists(filepath.Join(out, r.recordPath(b))) {
			t.Errorf("%s: no input record", b)
		}
	}
	if s.OK != len(f.good) || s.Failed != len(f.bad)+1 {
		t.Errorf("summary ok=%d failed=%d, want %d and %d", s.OK, s.Failed, len(f.good), len(f.bad)+1)
	}

	// The index has one row per good archive.
	db, err := index.Open(context.Background(), filepath.Join(out, index.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := db.Count(context.Background()); n != len(f.good) {
		t.Errorf("index holds %d runs, want %d", n, len(f.good))
	}
	db.Close()

	// A re-run redoes nothing and writes identical bytes.
	before := snapshot(t, out)
	s2, cached2, err := run(t, inputs, missing, o)
	if !errors.Is(err, ErrFailures) {
		t.Fatalf("re-run error = %v", err)
	}
	for in, c := range cached2 {
		if !c && !strings.Contains(in, "nothing-") {
			t.Errorf("re-run analyzed %s again", in)
		}
	}
	after := snapshot(t, out)
	for p, b := range before {
		if !bytes.Equal(after[p], b) {
			t.Errorf("re-run changed %s", p)
		}
	}
	if s2.OK != s.OK || s2.Failed != s.Failed {
		t.Errorf("re-run summary %d/%d, first %d/%d", s2.OK, s2.Failed, s.OK, s.Failed)
	}
}

// snapshot reads every result, failure and the summary under out.
func snapshot(t *testing.T, out string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, pat := range []string{"results/*.json", "inputs/*.json", SummaryFile} {
		names, _ := filepath.Glob(filepath.Join(out, pat))
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			m[n] = b
		}
	}
	return m
}

// TestResumeAfterSIGKILL kills a batch after its first result and checks a
// re-run keeps what was finished and completes the rest.
func TestResumeAfterSIGKILL(t *testing.T) {
	f := getFixtures(t)
	out := t.TempDir()
	arg, _ := json.Marshal(driverArgs{Inputs: f.good, Out: out})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), driverEnv+"="+string(arg))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	var first []string
	for time.Now().Before(deadline) {
		first, _ = filepath.Glob(filepath.Join(out, resultsDir, "*.json"))
		if len(first) > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	kept := snapshot(t, out)
	for p := range kept {
		if !strings.Contains(p, string(filepath.Separator)+resultsDir+string(filepath.Separator)) {
			delete(kept, p)
		}
	}
	if len(first) == 0 {
		t.Fatal("no result appeared before the deadline")
	}
	if len(kept) >= len(f.good) {
		t.Skipf("the batch finished all %d archives before it was killed", len(f.good))
	}
	// A result a killed run was writing (its owner gone: unlocked) and one
	// a live run is writing (locked).
	dead := filepath.Join(out, resultsDir, ".x@set.json.tmp-p999999-1")
	live := filepath.Join(out, resultsDir, ".y@set.json.tmp-p1-2")
	os.WriteFile(dead, []byte("{"), 0o644)
	lf, err := os.Create(live)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	s, cached, err := run(t, f.good, nil, testOptions(out, 2))
	if err != nil {
		t.Fatalf("re-run after SIGKILL: %v", err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("re-run left a killed run's temporary %s (%v)", dead, err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("re-run removed a live run's temporary: %v", err)
	}
	os.Remove(live)
	if s.OK != len(f.good) {
		t.Errorf("re-run: %d ok, want %d", s.OK, len(f.good))
	}
	redone := 0
	for p, b := range kept {
		after, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(after, b) {
			t.Errorf("finished result %s changed or vanished after re-run", p)
		}
	}
	for _, c := range cached {
		if !c {
			redone++
		}
	}
	if want := len(f.good) - len(kept); redone != want {
		t.Errorf("re-run analyzed %d archives, want %d (the unfinished ones)", redone, want)
	}
	db, err := index.Open(context.Background(), filepath.Join(out, index.FileName))
	if err != nil {
		t.Fatalf("index after SIGKILL: %v", err)
	}
	defer db.Close()
	if n, _ := db.Count(context.Background()); n != len(f.good) {
		t.Errorf("index holds %d runs, want %d", n, len(f.good))
	}
	t.Logf("killed after %d of %d results; re-run analyzed %d", len(kept), len(f.good), redone)
}

// TestInterrupt cancels a batch after its first finished archive (what
// Ctrl-C does) and checks the finished result survives, the rest are
// marked interrupted, and a re-run completes them.
func TestInterrupt(t *testing.T) {
	f := getFixtures(t)
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := testOptions(out, 1)
	o.OnDone = func(e Entry, _ bool) { cancel() }
	s, err := Run(ctx, f.good, nil, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error = %v, want context.Canceled", err)
	}
	if s.OK < 1 || s.Interrupted < 1 || s.OK+s.Interrupted != len(f.good) {
		t.Fatalf("after interrupt: ok=%d interrupted=%d failed=%d", s.OK, s.Interrupted, s.Failed)
	}
	kept := snapshot(t, out)
	s2, cached, err := run(t, f.good, nil, testOptions(out, 2))
	if err != nil || s2.OK != len(f.good) {
		t.Fatalf("re-run: %v, ok=%d", err, s2.OK)
	}
	n := 0
	for _, c := range cached {
		if c {
			n++
		}
	}
	if n != s.OK {
		t.Errorf("re-run reused %d stored outcomes, want %d", n, s.OK)
	}
	for p, b := range kept {
		if strings.HasSuffix(p, SummaryFile) {
			continue
		}
		if a, err := os.ReadFile(p); err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s changed after re-run", p)
		}
	}
}

// TestBatchVerify: with Verify every member is re-hashed first; the good
// archives still pass and the hostile ones still fail.
func TestBatchVerify(t *testing.T) {
	f := getFixtures(t)
	inputs, missing, err := Expand([]string{filepath.Join(f.dir, "archives")})
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions(t.TempDir(), 2)
	o.Verify = true
	s, _, err := run(t, inputs, missing, o)
	if !errors.Is(err, ErrFailures) {
		t.Fatalf("Run error = %v, want ErrFailures", err)
	}
	if s.OK != len(f.good) || s.Failed != len(f.bad) {
		t.Errorf("summary ok=%d failed=%d, want %d and %d", s.OK, s.Failed, len(f.good), len(f.bad))
	}
}
