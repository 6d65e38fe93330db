package index

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/internal/pgtest"
)

// killChildEnv makes the test binary a writer child for TestSIGKILLMidWrite.
const killChildEnv = "CORONER_INDEX_TEST_WRITER"

// writerBatch is how many rows the writer child adds per transaction.
const writerBatch = 7

func TestMain(m *testing.M) {
	if path := os.Getenv(killChildEnv); path != "" {
		writeForever(path)
		return
	}
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// writeForever adds batches of writerBatch runs until killed.
func writeForever(path string) {
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		runs := make([]Run, writerBatch)
		for j := range runs {
			runs[j] = Run{ArchiveDigest: fmt.Sprintf("%08d-%d", i, j), AnalyzerSet: "set", Cause: "crash", Severity: "critical"}
		}
		if err := db.Add(ctx, runs...); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if i == 0 {
			fmt.Println("ready")
		}
	}
}

func sampleResult(digest, sig, cause, module string, at time.Time) *analyze.Result {
	return &analyze.Result{
		SchemaVersion: analyze.SchemaVersion,
		Tool:          "coroner test",
		Incident:      analyze.Incident{ID: "inc-" + digest[:4], ArchiveDigest: digest, Time: at, Labels: map[string]string{"host": "web-1"}},
		Verdict: analyze.Verdict{Cause: cause, Severity: analyze.Critical, Confidence: 0.9, Signature: sig,
			Culprit: &analyze.Culprit{Function: "main.handle", File: "main.go", Line: 42}, Headline: "h"},
		Inventory: []analyze.Item{
			{Path: "artifacts/perf/perf.data", Kind: "perf-data", Attrs: map[string]string{"module": "not-this"}},
			{Path: "artifacts/bin/app", Kind: "go-binary", Attrs: map[string]string{"go_version": "go1.26.0", "main_path": module, "path": module + "/cmd/shop", "vcs_revision": "abc123"}},
		},
		Analyzers: []analyze.Run{{Name: "crash", Version: "1", Status: "ok"}, {Name: "verdict", Version: "2", Status: "ok"}},
	}
}

func TestSetVersion(t *testing.T) {
	a := SetVersion(map[string]string{"crash": "1", "verdict": "2"})
	if a != SetVersion(map[string]string{"verdict": "2", "crash": "1"}) {
		t.Error("SetVersion depends on map order")
	}
	if a == SetVersion(map[string]string{"crash": "1", "verdict": "3"}) {
		t.Error("SetVersion ignores a version change")
	}
	if a == SetVersion(map[string]string{"crash": "1"}) {
		t.Error("SetVersion ignores a removed analyzer")
	}
	r := sampleResult("dddd4444", "", "none", "", time.Time{})
	if SetVersionOfResult(r) != SetVersionOf([]*analyze.Analyzer{{Name: "verdict", Version: "2"}, {Name: "crash", Version: "1"}}) {
		t.Error("SetVersionOfResult and SetVersionOf disagree")
	}
}

func TestOpenRejects(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := OpenExisting(ctx, filepath.Join(dir, "missing.sqlite")); err == nil {
		t.Error("OpenExisting of a missing file succeeded")
	}
	junk := filepath.Join(dir, "junk.sqlite")
	if err := os.WriteFile(junk, []byte("this is not a database, just some text that is long enough to have a header"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, junk); err == nil {
		t.Error("Open of a non-database succeeded")
	}
	// A database written by a newer schema is refused.
	newer := filepath.Join(dir, "newer.sqlite")
	db, err := Open(ctx, newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.db.Exec("INSERT INTO schema_migrations VALUES (?, 0)", SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, newer); err == nil {
		t.Error("Open of a newer schema succeeded")
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-05-01":           time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
		"2026-05-01T10:00:00Z": time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC),
		"7d":                   now.AddDate(0, 0, -7),
		"36h":                  now.Add(-36 * time.Hour),
	} {
		got, err := ParseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-3h", "3x"} {
		if _, err := ParseSince(bad, now); err == nil {
			t.Errorf("ParseSince(%q) succeeded", bad)
		}
	}
}

// TestSIGKILLMidWrite kills a process while it commits batches and checks
// the database is intact and holds only whole transactions.
func TestSIGKILLMidWrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), killChildEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 6)
		if _, err := out.Read(buf); err != nil {
			t.Fatalf("writer did not start: %v", err)
		}
		time.Sleep(time.Duration(50+round*40) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()

		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		var check string
		if err := raw.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Fatalf("round %d: integrity_check = %q, %v", round, check, err)
		}
		raw.Close()
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("round %d: reopening after SIGKILL: %v", round, err)
		}
		n, err := db.Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		if n == 0 || n%writerBatch != 0 {
			t.Fatalf("round %d: %d rows, want a positive multiple of %d (whole transactions only)", round, n, writerBatch)
		}
		t.Logf("round %d: %d rows survived SIGKILL", round, n)
	}
}

func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"2026-05-01", "2026-05-01T10:00:00Z", "7d", "36h", "-1d", "99999999999d"} {
		f.Add(s)
	}
	now := time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseSince(s, now)
		if err == nil && got.After(now) && !isAbsolute(s) {
			t.Errorf("ParseSince(%q) = %v, after now for a relative age", s, got)
		}
	})
}

func isAbsolute(s string) bool {
	s = strings.TrimSpace(s)
	_, e1 := time.Parse(time.RFC3339, s)
	_, e2 := time.Parse("2006-01-02", s)
	return e1 == nil || e2 == nil
}
