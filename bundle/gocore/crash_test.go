package gocore

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/internal/testcore"
)

// crashesSrc crashes in the way its CRASH environment variable names,
// with goroutines parked on a channel, a mutex and a timer beside it (no
// timer for a deadlock, which the runtime reports only when no timer is
// pending), and for "busy" goroutines spinning on other threads.
const crashesSrc = `package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"time"
	_ "unsafe"
)

//go:linkname throw runtime.throw
func throw(s string)

var (
	nilMap  map[string]int
	nilPtr  *struct{ x, y int }
	index   = 5
	sink    int
)

//go:noinline
func recurse(n int) int {
	var pad [128]byte
	pad[n%128] = byte(n)
	return recurse(n+1) + int(pad[0])
}

//go:noinline
func crash(how string) {
	switch how {
	case "nilmap":
		nilMap["x"] = 1
	case "nilderef":
		sink = nilPtr.y
	case "mapwrites":
		m := map[int]int{}
		for i := 0; i < 4; i++ {
			go func() {
				for j := 0; ; j++ {
					m[j%64] = j
				}
			}()
		}
		time.Sleep(time.Minute)
	case "overflow":
		debug.SetMaxStack(4 << 20)
		sink = recurse(0)
	case "wrapped":
		panic(fmt.Errorf("wrap: %w", errors.New("inner failure")))
	case "errorsnew":
		panic(errors.New("plain error value"))
	case "string":
		panic("a string panic with spaces")
	case "index":
		s := []int{1, 2, 3}
		sink = s[index]
	case "throw":
		throw("invariant broken: queue length negative")
	case "unlock":
		var mu sync.Mutex
		mu.Unlock()
	case "deadlock":
		select {}
	case "busy":
		for i := 0; i < 3; i++ {
			go func() {
				for j := 0; ; j++ {
					sink += j
				}
			}()
		}
		time.Sleep(10 * time.Millisecond)
		nilMap["busy"] = 1
	}
}

func main() {
	var mu sync.Mutex
	mu.Lock()
	ch := make(chan int)
	for i := 0; i < 8; i++ {
		go func() { <-ch }()
		go func() { mu.Lock() }()
	}
	if os.Getenv("CRASH") != "deadlock" {
		go time.Sleep(time.Hour)
	}
	time.Sleep(100 * time.Millisecond)
	crash(os.Getenv("CRASH"))
}
`

// crashCases are the crashes crashesSrc makes.
var crashCases = []string{"nilmap", "nilderef", "mapwrites", "overflow", "wrapped", "errorsnew", "string", "index", "throw", "unlock", "deadlock", "busy"}

// TestCrashInPlaceMatchesDelve: on a crash core of a real program, the
// census read where the core lies in the archive, without delve, lists
// delve's goroutines (ids, states, top user frames) and the crash delve
// reads; the panic or fatal error text is the one the runtime printed.
func TestCrashInPlaceMatchesDelve(t *testing.T) {
	testcore.CheckCoreDumps(t)
	exe := testcore.BuildIn(t, tmpDir, crashesSrc)
	for _, name := range crashCases {
		t.Run(name, func(t *testing.T) {
			core, stderr := testcore.CrashIn(t, tmpDir, exe, "CRASH="+name, "GOMAXPROCS=4")
			want, err := Census(context.Background(), core, exe, Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Setenv("CORONER_CACHE_DIR", t.TempDir())
			a, err := bundle.Open(ingestCore(t, core, exe))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			art := a.Manifest().ArtifactsOf(bundle.KindCore)[0]
			got, err := ArchiveCensus(context.Background(), a, art, exe, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Reader != directReader {
				t.Errorf("census read by %q, warnings %q", got.Reader, got.Warnings)
			}
			filepath.WalkDir(os.Getenv("CORONER_CACHE_DIR"), func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					t.Errorf("the census extracted %s", p)
				}
				return nil
			})
			if !ReadInPlace(a.Manifest(), art) {
				t.Errorf("ReadInPlace is false for a crash core with a DWARF executable beside it")
			}
			sameGoroutines(t, got, want)
			sameCrash(t, got.Crash, want.Crash)
			printedCrash(t, got.Crash, stderr)
		})
	}
}

// sameGoroutines checks that got lists want's goroutines, each with the
// same state and top user frame, and the same crashed goroutine.
func sameGoroutines(t *testing.T, got, want *goroutines.Census) {
	t.Helper()
	byID := map[int64]goroutines.Goroutine{}
	for _, g := range want.Goroutines {
		byID[g.ID] = g
	}
	if len(got.Goroutines) != len(want.Goroutines) {
		t.Errorf("%d goroutines, delve %d", len(got.Goroutines), len(want.Goroutines))
	}
	for _, g := range got.Goroutines {
		w, ok := byID[g.ID]
		if !ok {
			t.Errorf("goroutine %d not in delve's census", g.ID)
			continue
		}
		if g.Status != w.Status || topUser(g.Frames) != topUser(w.Frames) || g.Crashed != w.Crashed {
			t.Errorf("goroutine %d: %s at %s crashed %v; delve: %s at %s crashed %v", g.ID, g.Status, topUser(g.Frames), g.Crashed, w.Status, topUser(w.Frames), w.Crashed)
		}
	}
}

// topUser is the innermost frame outside the runtime, as file:line.
func topUser(fs []goroutines.Frame) string {
	for _, f := range fs {
		if !strings.HasPrefix(f.Func, "runtime.") && !strings.HasPrefix(f.Func, "internal/") {
			return fmt.Sprintf("%s:%d", f.Func, f.Line)
		}
	}
	return "(runtime only)"
}

func sameCrash(t *testing.T, got, want *goroutines.Crash) {
	t.Helper()
	if got == nil || want == nil {
		t.Fatalf("crash %+v, delve's %+v", got, want)
	}
	site := func(f *goroutines.Frame) string {
		if f == nil {
			return "none"
		}
		return fmt.Sprintf("%s:%d", f.Func, f.Line)
	}
	g, w := *got, *want
	if w.Message == "" && w.Kind == "fatal error" {
		// delve reads throw's argument only where its location lists
		// place it; the runtime's printed text is the oracle then
		// (printedCrash).
		t.Logf("delve read no fatal error text; coroner read %q", g.Message)
		w.Message, w.Signature = g.Message, g.Signature
	}
	if g.Kind != w.Kind || g.Message != w.Message || g.GoroutineID != w.GoroutineID || g.Thread != w.Thread ||
		g.Signal != w.Signal || g.Code != w.Code || g.FaultAddr != w.FaultAddr || g.PC != w.PC || site(g.Site) != site(w.Site) || g.Signature != w.Signature {
		g.Site, w.Site = nil, nil
		t.Errorf("crash\n %+v site %s\ndelve's\n %+v site %s", g, site(got.Site), w, site(want.Site))
	}
}

// printedLine finds the runtime's "panic: …" or "fatal error: …" line and
// the "[signal …]" line after it.
var printedLine = regexp.MustCompile(`(?m)^(panic|fatal error): (.*)$(?:\n\[signal (\S+): .* code=(\S+) addr=(\S+) pc=(\S+)\])?`)

// printedCrash checks the crash against what the runtime printed.
func printedCrash(t *testing.T, c *goroutines.Crash, stderr []byte) {
	t.Helper()
	m := printedLine.FindSubmatch(stderr)
	if m == nil {
		t.Fatalf("no panic or fatal error in the program's stderr:\n%s", stderr)
	}
	if c.Kind != string(m[1]) || c.Message != string(m[2]) {
		t.Errorf("crash %s: %q; the runtime printed %s: %q", c.Kind, c.Message, m[1], m[2])
	}
	if len(m[3]) > 0 {
		printed := fmt.Sprintf("%s %s %s %s", m[3], m[4], m[5], m[6])
		if got := fmt.Sprintf("%s %s %#x %#x", c.Signal, c.Code, c.FaultAddr, c.PC); got != printed {
			t.Errorf("signal %s; the runtime printed %s", got, printed)
		}
	}
	if !bytes.Contains(stderr, []byte("goroutine ")) {
		t.Errorf("no traceback in the program's stderr")
	}
}
