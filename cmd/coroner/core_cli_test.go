package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coroner/coroner/internal/testcore"
)

// TestGoroutinesAndCrashCommands ingests a real crash (binary, core and
// crash output) and runs `coroner goroutines` and `coroner crash` on it.
func TestGoroutinesAndCrashCommands(t *testing.T) {
	exe := testcore.Build(t, `package main

import (
	"sync"
	"time"
)

type store struct{ m map[string]int }

func (s *store) put(k string) { s.m[k]++ }

func main() {
	var mu sync.Mutex
	mu.Lock()
	for i := 0; i < 12; i++ {
		go func() { mu.Lock() }()
	}
	time.Sleep(100 * time.Millisecond)
	go (&store{}).put("k")
	time.Sleep(time.Hour)
}
`)
	core, stderr := testcore.Crash(t, exe)
	in := t.TempDir()
	for name, src := range map[string]string{"app": exe, "core": core} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(in, name), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(in, "crash.log"), stderr, 0o644); err != nil {
		t.Fatal(err)
	}
	coroner := buildCoroner(t)
	archive := filepath.Join(t.TempDir(), "inc.tar.zst")
	if out, errOut, code := runCoroner(t, coroner, "ingest", "-o", archive, in); code != 0 {
		t.Fatalf("ingest: %d\n%s\n%s", code, out, errOut)
	}

	out, errOut, code := runCoroner(t, coroner, "goroutines", "--group", archive)
	if code != 0 {
		t.Fatalf("goroutines: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "(core)") || !strings.Contains(out, "sync.Mutex.Lock") || !strings.Contains(out, "12 ") {
		t.Errorf("goroutines --group output:\n%s", out)
	}
	out, _, code = runCoroner(t, coroner, "goroutines", "--json", "--filter", "wait=sync.Mutex", archive)
	var census struct {
		Format     string            `json:"format"`
		Goroutines []json.RawMessage `json:"goroutines"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &census) != nil || census.Format != "core" || len(census.Goroutines) != 12 {
		t.Errorf("goroutines --json --filter: exit %d, %d goroutines from %q", code, len(census.Goroutines), census.Format)
	}
	if _, _, code := runCoroner(t, coroner, "goroutines", "--filter", "nonsense", archive); code != exitUsage {
		t.Errorf("bad filter: exit %d, want %d", code, exitUsage)
	}

	out, errOut, code = runCoroner(t, coroner, "crash", archive)
	if code != 0 || !strings.Contains(out, "assignment to entry in nil map") || !strings.Contains(out, "main.(*store).put") {
		t.Errorf("crash: exit %d\n%s\n%s", code, out, errOut)
	}
	out, _, _ = runCoroner(t, coroner, "crash", "--json", archive)
	var cr struct {
		Crash struct {
			Signature string `json:"signature"`
		} `json:"crash"`
	}
	if err := json.Unmarshal([]byte(out), &cr); err != nil || !strings.HasPrefix(cr.Crash.Signature, "crash:v1:") {
		t.Errorf("crash --json: %v\n%s", err, out)
	}
	// The crash output alone, not ingested, is read where it lies and
	// gives the signature the archive's core gives.
	out, errOut, code = runCoroner(t, coroner, "crash", "--json", filepath.Join(in, "crash.log"))
	var loose struct {
		Crash struct {
			Signature string `json:"signature"`
		} `json:"crash"`
	}
	if err := json.Unmarshal([]byte(out), &loose); code != 0 || err != nil || loose.Crash.Signature != cr.Crash.Signature {
		t.Errorf("crash on the loose crash log: exit %d, signature %q, want %q\n%s", code, loose.Crash.Signature, cr.Crash.Signature, errOut)
	}
	if _, _, code := runCoroner(t, coroner, "crash", filepath.Join(in, "app")); code != exitInput {
		t.Errorf("crash on a binary: exit %d, want %d", code, exitInput)
	}
}
