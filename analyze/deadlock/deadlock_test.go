package deadlock

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/testcore"
	"github.com/coroner/coroner/internal/worker"
)

func TestMain(m *testing.M) {
	worker.Main()
	os.Exit(m.Run())
}

// inversionSrc: two transfers take two account locks in opposite orders
// and deadlock; more callers pile up behind each lock; the process stays
// alive.
const inversionSrc = `package main

import (
	"fmt"
	"sync"
	"time"
)

type account struct {
	mu  sync.Mutex
	bal int
}

func transfer(from, to *account, held *sync.WaitGroup) {
	from.mu.Lock()
	held.Done()
	held.Wait()
	to.mu.Lock()
	from.bal--
	to.bal++
}

func balance(a *account) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.bal
}

func main() {
	a, b := &account{}, &account{}
	var held sync.WaitGroup
	held.Add(2)
	go transfer(a, b, &held)
	go transfer(b, a, &held)
	held.Wait()
	for i := 0; i < 20; i++ {
		go balance(a)
		go balance(b)
	}
	time.Sleep(200 * time.Millisecond)
	fmt.Println("ready")
	time.Sleep(time.Hour) // a timer keeps the runtime from calling it a deadlock
}
`

// healthySrc: idle workers wait for jobs fed by a goroutine blocked in
// accept (IO wait): waiting, but not stuck.
const healthySrc = `package main

import (
	"fmt"
	"net"
	"time"
)

func main() {
	jobs := make(chan net.Conn)
	for i := 0; i < 8; i++ {
		go func() {
			for c := range jobs {
				c.Close()
			}
		}()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	for i := 0; i < 3; i++ {
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				jobs <- c
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

func analyse(t *testing.T, files []analyzetest.File) []analyze.Finding {
	t.Helper()
	src, err := analyzetest.NewDirSource("deadlock", files)
	if err != nil {
		t.Fatal(err)
	}
	return analyzetest.FindingsOf(analyzetest.Run(t, src, Analyzer), "deadlock")
}

func TestLockInversionFromCore(t *testing.T) {
	exe := testcore.Build(t, inversionSrc)
	p := testcore.Start(t, exe, "ready")
	core := p.Gcore(t)
	dump := p.Quit(t)
	fs := analyse(t, []analyzetest.File{{Disk: exe, Kind: bundle.KindGoBinary}, {Disk: core, Kind: bundle.KindCore}})
	if len(fs) != 1 || fs[0].Cause != analyze.CauseDeadlock {
		t.Fatalf("findings %+v", fs)
	}
	f := fs[0]
	if f.Severity != analyze.Warning {
		t.Errorf("severity %v: all but main (sleeping) are blocked", f.Severity)
	}
	if f.Culprit == nil || f.Culprit.Function != "main.balance" {
		t.Errorf("culprit %+v", f.Culprit)
	}
	if strings.Count(f.Summary, " waiters)") != 2 || !strings.Contains(f.Summary, "(21 waiters)") {
		t.Errorf("shared lock addresses not named: %s", f.Summary)
	}
	// The same verdict from the runtime's own dump (no lock addresses).
	log := filepath.Join(t.TempDir(), "sigquit.txt")
	if err := os.WriteFile(log, dump, 0o644); err != nil {
		t.Fatal(err)
	}
	fs = analyse(t, []analyzetest.File{{Disk: log, Kind: bundle.KindGoroutineDump}})
	if len(fs) != 1 || fs[0].Cause != analyze.CauseDeadlock {
		t.Errorf("from the SIGQUIT dump: %+v", fs)
	}
}

func TestHealthyIsNotDeadlock(t *testing.T) {
	exe := testcore.Build(t, healthySrc)
	p := testcore.Start(t, exe, "ready")
	log := filepath.Join(t.TempDir(), "sigquit.txt")
	if err := os.WriteFile(log, p.Quit(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if fs := analyse(t, []analyzetest.File{{Disk: log, Kind: bundle.KindGoroutineDump}}); len(fs) != 0 {
		t.Errorf("healthy idle server reported: %+v", fs)
	}
}

func TestRuntimeDeadlock(t *testing.T) {
	exe := testcore.Build(t, `package main

import "sync"

func main() {
	var mu sync.Mutex
	mu.Lock()
	mu.Lock()
}
`)
	_, stderr := testcore.Crash(t, exe)
	log := filepath.Join(t.TempDir(), "crash.log")
	if err := os.WriteFile(log, stderr, 0o644); err != nil {
		t.Fatal(err)
	}
	fs := analyse(t, []analyzetest.File{{Disk: log, Kind: bundle.KindGoroutineDump}})
	if len(fs) != 1 || fs[0].ID != "deadlock/runtime" || fs[0].Confidence != 1 {
		t.Fatalf("findings %+v", fs)
	}
	if fs[0].Culprit == nil || fs[0].Culprit.Function != "main.main" {
		t.Errorf("culprit %+v", fs[0].Culprit)
	}
}
