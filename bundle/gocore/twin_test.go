package gocore

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/internal/testcore"
)

// twinSrc leaves goroutines in several states: receiving from a channel
// (one with pprof labels), blocked on a mutex, in a select, asleep, and one spinning on a thread.
const twinSrc = `package main

import (
	"context"
	"fmt"
	"runtime/pprof"
	"sync"
	"time"
)

//go:noinline
func spin(n int) int {
	for {
		n = n*31 + 7
		if n == 0 {
			return n
		}
	}
}

func main() {
	var mu sync.Mutex
	mu.Lock()
	ch := make(chan int)
	for i := 0; i < 3; i++ {
		go func() { mu.Lock() }()
		go func() { <-ch }()
	}
	go pprof.Do(context.Background(), pprof.Labels("role", "reader"), func(context.Context) { <-ch })
	go func() {
		select {
		case <-ch:
		case <-time.After(time.Hour):
		}
	}()
	go func() { time.Sleep(time.Hour) }()
	go spin(1)
	time.Sleep(200 * time.Millisecond)
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// twinToolchains are the Go versions whose builds the twin and layout
// tests read: the installed one and the newest supported, which the go
// command fetches from the module proxy.
var twinToolchains = []string{"local", "go1.27.3"}

// twinPair is one program built twice with -trimpath, plainly and with
// -ldflags=-s -w, by one toolchain.
type twinPair struct{ plain, stripped string }

var (
	twinPairsMu sync.Mutex
	twinPairs   = map[string]*twinPair{}
)

// buildTwins builds src both ways with toolchain (GOTOOLCHAIN), once per
// test binary; it skips when the toolchain cannot be had.
func buildTwins(t testing.TB, toolchain string) *twinPair {
	t.Helper()
	twinPairsMu.Lock()
	defer twinPairsMu.Unlock()
	if p := twinPairs[toolchain]; p != nil {
		return p
	}
	dir, err := os.MkdirTemp(tmpDir, "twin")
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"main.go": twinSrc, "go.mod": "module scenario\n\ngo 1.22\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := &twinPair{plain: filepath.Join(dir, "plain"), stripped: filepath.Join(dir, "stripped")}
	for _, b := range []struct {
		out   string
		flags []string
	}{{p.plain, nil}, {p.stripped, []string{"-ldflags=-s -w"}}} {
		args := append([]string{"build", "-trimpath", "-o", b.out}, b.flags...)
		cmd := exec.Command("go", append(args, ".")...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GOTOOLCHAIN="+toolchain)
		if out, err := cmd.CombinedOutput(); err != nil {
			if toolchain != "local" {
				t.Skipf("toolchain %s unavailable (go build: %v): %s", toolchain, err, out)
			}
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	twinPairs[toolchain] = p
	return p
}

// twinCores takes the stripped program's cores: a kill -ABRT under
// GOTRACEBACK=crash (with the runtime's dump) and a gcore snapshot.
func twinCores(t *testing.T, exe string) map[string]string {
	cores := map[string]string{"abrt": abrtCore(t, exe)}
	if _, err := exec.LookPath("gcore"); err == nil {
		cores["gcore"] = snapshotCore(t, exe)
	} else {
		t.Log("gcore (gdb) is not installed: snapshot cores not tested")
	}
	return cores
}

// snapshotCore runs exe until it is ready and takes a gcore snapshot of
// it, as an operator's gcore would.
func snapshotCore(t *testing.T, exe string) string {
	t.Helper()
	q := testcore.Start(t, exe, "ready", "GOMAXPROCS=4")
	defer q.Quit(t)
	return q.Gcore(t)
}

// abrtCore runs exe under GOTRACEBACK=crash until it is ready and
// aborts it with SIGABRT, as an operator's kill -ABRT would; it returns
// the core the kernel wrote.
func abrtCore(t *testing.T, exe string) string {
	t.Helper()
	p := testcore.StartCoreDumping(t, exe, "ready", "GOTRACEBACK=crash", "GOMAXPROCS=4")
	p.Kill(t, syscall.SIGABRT)
	return p.FindCore(t)
}

// TestDebugTwinCensus: the core of a stripped executable, read with its
// debug twin, gives the census the twin itself gives (the same core
// read with the twin as its executable, build IDs aside): same
// goroutines, states, wait reasons and stacks.
func TestDebugTwinCensus(t *testing.T) {
	testcore.CheckCoreDumps(t)
	for _, tc := range twinToolchains {
		t.Run(tc, func(t *testing.T) {
			p := buildTwins(t, tc)
			if err := MatchTwin(p.stripped, p.plain); err != nil {
				t.Fatalf("a -trimpath rebuild without -s -w is refused: %v", err)
			}
			for kind, core := range twinCores(t, p.stripped) {
				want, err := Census(context.Background(), core, p.plain, Options{Force: true})
				if err != nil {
					t.Fatal(err)
				}
				got, err := Census(context.Background(), core, p.stripped, Options{DebugBinary: p.plain})
				if err != nil {
					t.Fatalf("%s core: %v", kind, err)
				}
				sameTwinCensus(t, kind, got, want)
			}
		})
	}
}

// sameTwinCensus compares two censuses of one core goroutine by
// goroutine: IDs, states, wait reasons and stacks, and what the reader
// finds beyond the stacks: the lock or channel waited on (the semaphore
// table's waiters among them), locks held, creators and timers.
func sameTwinCensus(t *testing.T, kind string, got, want *goroutines.Census) {
	t.Helper()
	if len(want.Goroutines) < 10 {
		t.Errorf("%s core: reference census has %d goroutines, the program runs at least 10", kind, len(want.Goroutines))
	}
	if len(got.Goroutines) != len(want.Goroutines) {
		t.Fatalf("%s core: %d goroutines, want %d", kind, len(got.Goroutines), len(want.Goroutines))
	}
	for i, g := range got.Goroutines {
		w := want.Goroutines[i]
		if g.ID != w.ID || g.Status != w.Status || g.WaitReason != w.WaitReason || stackString(g.Frames) != stackString(w.Frames) {
			t.Errorf("%s core: goroutine %d %s %q %s\n want %d %s %q %s", kind, g.ID, g.Status, g.WaitReason, stackString(g.Frames), w.ID, w.Status, w.WaitReason, stackString(w.Frames))
		}
		if g.LockAddr != w.LockAddr || g.Semaphore != w.Semaphore || !slices.Equal(g.HeldLocks, w.HeldLocks) || g.CreatorID != w.CreatorID || (g.Timer == nil) != (w.Timer == nil) {
			t.Errorf("%s core: goroutine %d waits on %#x (semaphore %v), holds %#x, created by %d, timer %v\n want %#x (%v), %#x, %d, %v",
				kind, g.ID, g.LockAddr, g.Semaphore, g.HeldLocks, g.CreatorID, g.Timer != nil, w.LockAddr, w.Semaphore, w.HeldLocks, w.CreatorID, w.Timer != nil)
		}
	}
}

// TestDebugTwinRefused: a twin of another program, or a debug-only file,
// is refused with an error naming both files and what differs.
func TestDebugTwinRefused(t *testing.T) {
	p := buildTwins(t, "local")
	other := testcore.BuildIn(t, tmpDir, workerCrashSrc, "-trimpath")
	err := MatchTwin(p.stripped, other)
	if err == nil || !strings.Contains(err.Error(), p.stripped) || !strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), "section") {
		t.Errorf("another program accepted as twin: %v", err)
	}
	core := abrtCore(t, p.stripped)
	if _, err := Census(context.Background(), core, p.stripped, Options{DebugBinary: other}); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("census with a wrong twin: %v", err)
	}
	if _, err := exec.LookPath("objcopy"); err != nil {
		t.Skip("objcopy is not installed: debug-only files not tested")
	}
	dbg := filepath.Join(t.TempDir(), "plain.debug")
	if out, err := exec.Command("objcopy", "--only-keep-debug", p.plain, dbg).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, out)
	}
	if err := MatchTwin(p.stripped, dbg); err == nil || !strings.Contains(err.Error(), "only-keep-debug") {
		t.Errorf("debug-only file: %v", err)
	}
}

// TestStrippedTableCensus: the core of a stripped executable of a
// supported Go version, read without a twin (layout tables, variables
// from the code, pclntab symbols), gives the census the same reader gives
// with the unstripped twin's DWARF and symbols. (The reader, not delve:
// where delve unwinds a running goroutine differently, that is the
// reader's difference from delve, which TestDirectMatchesDelve covers.)
func TestStrippedTableCensus(t *testing.T) {
	testcore.CheckCoreDumps(t)
	for _, tc := range twinToolchains {
		t.Run(tc, func(t *testing.T) {
			p := buildTwins(t, tc)
			for kind, core := range twinCores(t, p.stripped) {
				want, err := fileCensus(core, core, p.plain)
				// A snapshot can stop a thread between a goroutine's
				// running status and its thread's record of it; the reader
				// then leaves the core to delve, rightly. That is the
				// snapshot's timing, not what this test compares: take
				// another.
				for try := 0; kind == "gcore" && errors.Is(err, errNeedsDelve) && strings.Contains(err.Error(), "not paired") && try < 3; try++ {
					t.Logf("gcore core: %v; taking another snapshot", err)
					core = snapshotCore(t, p.stripped)
					want, err = fileCensus(core, core, p.plain)
				}
				if err != nil {
					t.Fatalf("%s core: the reader refused it with the twin: %v", kind, err)
				}
				got, err := Census(context.Background(), core, p.stripped, Options{})
				if err != nil {
					t.Fatalf("%s core: %v", kind, err)
				}
				if !strings.Contains(strings.Join(got.Warnings, "\n"), "coroner's table") {
					t.Errorf("%s core: census does not say where its layouts came from: %q", kind, got.Warnings)
				}
				sameTwinCensus(t, kind, got, want)
			}
		})
	}
}
