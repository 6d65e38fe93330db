package gocore

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/internal/testcore"
	"github.com/coroner/coroner/internal/worker"
)

var tmpDir string

func TestMain(m *testing.M) {
	worker.Main()
	dir, err := os.MkdirTemp("", "gocore-test")
	if err != nil {
		panic(err)
	}
	tmpDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// workerCrashSrc panics on a nil map write in a worker goroutine while
// other goroutines wait on a mutex, a channel and a sleep.
const workerCrashSrc = `package main

import (
	"context"
	"runtime/pprof"
	"sync"
	"time"
)

type store struct{ m map[string]int }

func (s *store) put(k string) { s.m[k]++ }

func main() {
	var mu sync.Mutex
	mu.Lock()
	ch := make(chan int)
	for i := 0; i < 5; i++ {
		go func() { mu.Lock() }()
	}
	for i := 0; i < 4; i++ {
		go pprof.Do(context.Background(), pprof.Labels("role", "reader"), func(context.Context) { <-ch })
	}
	go func() { time.Sleep(time.Hour) }()
	time.Sleep(100 * time.Millisecond)
	s := &store{}
	go func() { s.put("k") }()
	time.Sleep(time.Hour)
}
`

// compareWithDump checks the core census against the runtime's own dump
// of the same moment: same goroutine IDs, statuses and wait reasons.
func compareWithDump(t *testing.T, c *goroutines.Census, dump []byte) {
	t.Helper()
	d, err := goroutines.ParseDump(bytes.NewReader(dump), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]goroutines.Goroutine{}
	for _, g := range d.Goroutines {
		if g.ID != 0 {
			want[g.ID] = g
		}
	}
	got := map[int64]goroutines.Goroutine{}
	for _, g := range c.Goroutines {
		got[g.ID] = g
	}
	if len(got) != len(want) {
		t.Errorf("core census has %d goroutines, runtime dump %d", len(got), len(want))
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("goroutine %d (%s %s) missing from core census", id, w.Status, w.WaitReason)
			continue
		}
		if g.Status != w.Status || g.WaitReason != w.WaitReason {
			t.Errorf("goroutine %d: core says %s/%q, runtime %s/%q", id, g.Status, g.WaitReason, w.Status, w.WaitReason)
		}
		if g.System != w.System {
			t.Errorf("goroutine %d: system %v vs runtime dump %v", id, g.System, w.System)
		}
	}
}

func TestCrashInWorker(t *testing.T) {
	exe := testcore.BuildIn(t, tmpDir, workerCrashSrc)
	core, stderr := testcore.CrashIn(t, tmpDir, exe)
	c, err := Census(context.Background(), core, exe, Options{})
	if err != nil {
		t.Fatal(err)
	}
	compareWithDump(t, c, stderr)
	if !c.Complete || c.Format != "core" || !strings.HasPrefix(c.Reader, "delve ") || !strings.HasPrefix(c.GoVersion, "go1.") {
		t.Errorf("census header: complete=%v format=%q reader=%q go=%q", c.Complete, c.Format, c.Reader, c.GoVersion)
	}
	cr := c.Crash
	if cr == nil || cr.Kind != "panic" || cr.Message != "assignment to entry in nil map" {
		t.Fatalf("crash %+v", cr)
	}
	if cr.Site == nil || cr.Site.Func != "main.(*store).put" || cr.Site.Line != 12 {
		t.Errorf("crash site %+v", cr.Site)
	}
	if cr.Signal != "SIGABRT" || cr.Thread == 0 {
		t.Errorf("signal %q thread %d", cr.Signal, cr.Thread)
	}
	// The runtime's own dump names the same crashed goroutine and gives
	// the same signature.
	d, _ := goroutines.ParseDump(bytes.NewReader(stderr), "stderr")
	if d.Crash == nil || d.Crash.GoroutineID != cr.GoroutineID {
		t.Errorf("crashed goroutine: core %d, dump %+v", cr.GoroutineID, d.Crash)
	}
	for _, g := range d.Goroutines {
		if g.Crashed {
			if _, key := goroutines.Signature(d.Crash, g.Frames); key != cr.SignatureKey {
				t.Errorf("core signature %s (%s) differs from the dump's %s", cr.SignatureKey, cr.Signature, key)
			}
		}
	}
	// The five mutex waiters share one lock address, the four receivers one
	// channel, and the two differ.
	addrs := map[string]map[uint64]int{}
	for _, g := range c.Goroutines {
		if g.System || g.Status != "waiting" {
			continue
		}
		if addrs[g.WaitReason] == nil {
			addrs[g.WaitReason] = map[uint64]int{}
		}
		addrs[g.WaitReason][g.LockAddr]++
	}
	labeled := 0
	for _, g := range c.Goroutines {
		if g.Labels["role"] == "reader" {
			labeled++
		}
	}
	if labeled != 4 {
		t.Errorf("%d goroutines carry the pprof label role=reader, want 4", labeled)
	}
	mu, ch := addrs["sync.Mutex.Lock"], addrs["chan receive"]
	if len(mu) != 1 || len(ch) != 1 {
		t.Fatalf("lock addresses: mutex %v, chan %v", mu, ch)
	}
	for a, n := range mu {
		if a == 0 || n != 5 || ch[a] != 0 {
			t.Errorf("mutex waiters: %d at %#x; chan %v", n, a, ch)
		}
	}
}

// nilDerefSrc faults on a nil pointer in a worker goroutine.
const nilDerefSrc = `package main

import "time"

type conn struct{ n int }

func read(c *conn) int { return c.n }

func main() {
	go func() { println(read(nil)) }()
	time.Sleep(time.Hour)
}
`

func TestSignatureAcrossBuilds(t *testing.T) {
	sig := func(src string, flags ...string) *goroutines.Crash {
		exe := testcore.BuildIn(t, tmpDir, src, flags...)
		core, _ := testcore.CrashIn(t, tmpDir, exe)
		c, err := Census(context.Background(), core, exe, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Crash == nil || c.Crash.SignatureKey == "" {
			t.Fatalf("no crash signature: %+v", c.Crash)
		}
		return c.Crash
	}
	a := sig(workerCrashSrc)
	rebuilt := strings.Replace(workerCrashSrc, "type store", "var version = \"dev\"\n\nfunc unrelated() string { return version }\n\ntype store", 1)
	b := sig(rebuilt, "-ldflags=-X main.version=2.0")
	if a.SignatureKey != b.SignatureKey {
		t.Errorf("same bug, two builds: %s (%s) vs %s (%s)", a.SignatureKey, a.Signature, b.SignatureKey, b.Signature)
	}
	if a.Site.Line == b.Site.Line {
		t.Errorf("rebuild did not move the crash site (line %d): the test proves nothing", a.Site.Line)
	}
	d := sig(nilDerefSrc)
	if d.SignatureKey == a.SignatureKey {
		t.Errorf("different bugs share signature %s", d.SignatureKey)
	}
	if d.Message != "runtime error: invalid memory address or nil pointer dereference" || d.Signal != "SIGSEGV" {
		t.Errorf("nil dereference crash: %+v", d)
	}
	if d.Site == nil || d.Site.Func != "main.read" {
		t.Errorf("nil dereference site %+v", d.Site)
	}
}

// deadlockSrc blocks every goroutine: the runtime throws "all goroutines
// are asleep - deadlock!".
const deadlockSrc = `package main

import "sync"

func main() {
	var a, b sync.Mutex
	var wg sync.WaitGroup
	wg.Add(2)
	a.Lock()
	b.Lock()
	go func() { defer wg.Done(); a.Lock() }()
	go func() { defer wg.Done(); b.Lock() }()
	wg.Wait()
}
`

func TestFatalError(t *testing.T) {
	exe := testcore.BuildIn(t, tmpDir, deadlockSrc)
	core, stderr := testcore.CrashIn(t, tmpDir, exe)
	c, err := Census(context.Background(), core, exe, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Crash == nil || c.Crash.Kind != "fatal error" || c.Crash.Message != "all goroutines are asleep - deadlock!" {
		t.Errorf("crash %+v", c.Crash)
	}
	compareWithDump(t, c, stderr)
}

// mapRaceSrc makes the runtime throw "concurrent map writes".
const mapRaceSrc = `package main

import "time"

func writer(m map[int]int) {
	for j := 0; ; j++ {
		m[j%128] = j
	}
}

func main() {
	m := map[int]int{}
	for i := 0; i < 4; i++ {
		go writer(m)
	}
	time.Sleep(time.Minute)
}
`

func TestConcurrentMapWrites(t *testing.T) {
	exe := testcore.BuildIn(t, tmpDir, mapRaceSrc)
	core, stderr := testcore.CrashIn(t, tmpDir, exe)
	c, err := Census(context.Background(), core, exe, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cr := c.Crash
	if cr == nil || cr.Kind != "fatal error" || cr.Message != "concurrent map writes" {
		t.Fatalf("crash %+v\n%s", cr, stderr)
	}
	if cr.Site == nil || cr.Site.Func != "main.writer" {
		t.Errorf("site %+v", cr.Site)
	}
}
