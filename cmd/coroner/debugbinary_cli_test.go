package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/coroner/coroner/internal/testcore"
)

// stripSrc parks goroutines on a mutex and a channel.
const stripSrc = `package main

import (
	"fmt"
	"sync"
	"time"
)

func main() {
	var mu sync.Mutex
	mu.Lock()
	ch := make(chan int)
	for i := 0; i < 6; i++ {
		go func() { mu.Lock() }()
		go func() { <-ch }()
	}
	time.Sleep(100 * time.Millisecond)
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// TestDebugBinaryFlags: a stripped executable's core, with a GOEXPERIMENT
// that takes it outside coroner's layout tables, gives a goroutine list
// only with its debug twin: archived by ingest --debug-binary, or named
// by goroutines --debug-binary and analyze --debug-binary. A twin of
// another program is refused with an error naming both files.
func TestDebugBinaryFlags(t *testing.T) {
	testcore.CheckCoreDumps(t)
	t.Setenv("GOEXPERIMENT", "heapminimum512kib")
	plain := testcore.Build(t, stripSrc, "-trimpath")
	stripped := testcore.Build(t, stripSrc, "-trimpath", "-ldflags=-s -w")
	p := testcore.StartCoreDumping(t, stripped, "ready", "GOTRACEBACK=crash")
	p.Kill(t, syscall.SIGABRT)
	core := p.FindCore(t)
	in := t.TempDir()
	for name, src := range map[string]string{"app": stripped, "core": core} {
		if err := os.Link(src, filepath.Join(in, name)); err != nil {
			t.Fatal(err)
		}
	}
	coroner := buildCoroner(t)
	dir := t.TempDir()
	bare, withTwin := filepath.Join(dir, "bare.tar.zst"), filepath.Join(dir, "twin.tar.zst")
	if out, errOut, code := runCoroner(t, coroner, "ingest", "-q", "-o", bare, in); code != 0 {
		t.Fatalf("ingest: %d\n%s\n%s", code, out, errOut)
	}
	if out, errOut, code := runCoroner(t, coroner, "ingest", "-q", "-o", withTwin, "--debug-binary", plain, in); code != 0 {
		t.Fatalf("ingest --debug-binary: %d\n%s\n%s", code, out, errOut)
	}
	if out, _, _ := runCoroner(t, coroner, "ls", withTwin); !strings.Contains(out, "go-debug-binary") {
		t.Errorf("ls does not show the archived twin:\n%s", out)
	}
	count := func(args ...string) (int, string) {
		t.Helper()
		out, errOut, code := runCoroner(t, coroner, append([]string{"goroutines", "--json"}, args...)...)
		var c struct {
			Goroutines []json.RawMessage `json:"goroutines"`
			Warnings   []string          `json:"warnings"`
		}
		if code == 0 {
			if err := json.Unmarshal([]byte(out), &c); err != nil {
				t.Fatalf("goroutines %v: %v\n%s", args, err, out)
			}
		}
		return len(c.Goroutines), errOut + strings.Join(c.Warnings, "\n")
	}
	n, why := count(bare)
	if n > 1 || !strings.Contains(why, "--debug-binary") {
		t.Errorf("without a twin: %d goroutines; messages %q", n, why)
	}
	for _, args := range [][]string{{withTwin}, {"--debug-binary", plain, bare}} {
		if n, why := count(args...); n < 12 {
			t.Errorf("goroutines %v: %d goroutines, the program parks 12: %s", args, n, why)
		}
	}
	out, errOut, code := runCoroner(t, coroner, "analyze", "--only", "goroutines", "--debug-binary", plain, bare)
	m := regexp.MustCompile(`(\d+) goroutines in \d+ groups`).FindStringSubmatch(out)
	if n := 0; code != 0 || m == nil || func() bool { n, _ = strconv.Atoi(m[1]); return n < 12 }() {
		t.Errorf("analyze --debug-binary: exit %d\n%s\n%s", code, out, errOut)
	}
	other := testcore.Build(t, workerSrcForTwin, "-trimpath")
	if _, why := count("--debug-binary", other, bare); !strings.Contains(why, "does not match") || !strings.Contains(why, other) {
		t.Errorf("a twin of another program: %q", why)
	}
}

// workerSrcForTwin is a program other than stripSrc.
const workerSrcForTwin = `package main

func main() { println("other") }
`
