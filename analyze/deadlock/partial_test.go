package deadlock

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/testcore"
)

// liveSrc keeps serving (a ticker goroutine runs throughout) while its
// workers, depending on MODE, deadlock on two locks taken in opposite
// orders ("inverted", or "late": a convoy that turns into that deadlock
// while the trace runs), queue behind one lock whose holder blocks forever
// on a channel ("stuck"), or take the locks in one order and progress as a
// convoy ("convoy"). It records an execution trace (TRACE) once the state
// has formed, then (with WAIT set) lets the runtime's clock run past
// minStuckWait, then prints "ready" for the core to be taken.
const liveSrc = `package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"
)

var flip atomic.Bool

type account struct {
	mu  sync.Mutex
	bal int
}

func transfer(from, to *account) {
	from.mu.Lock()
	defer from.mu.Unlock()
	time.Sleep(2 * time.Millisecond)
	to.mu.Lock()
	defer to.mu.Unlock()
	from.bal--
	to.bal++
}

func audit(a *account, never chan int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.bal += <-never
}

func main() {
	a, b := &account{}, &account{}
	mode := os.Getenv("MODE")
	never := make(chan int)
	if mode == "stuck" {
		go audit(a, never)
		time.Sleep(50 * time.Millisecond)
	}
	for i := 0; i < 8; i++ {
		go func() {
			for {
				if (mode == "inverted" || flip.Load()) && i%2 == 1 {
					transfer(b, a)
				} else {
					transfer(a, b)
				}
			}
		}()
	}
	go func() {
		for {
			time.Sleep(time.Millisecond)
		}
	}()
	time.Sleep(300 * time.Millisecond)
	f, err := os.Create(os.Getenv("TRACE"))
	if err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	if mode == "late" {
		time.Sleep(300 * time.Millisecond)
		flip.Store(true)
	}
	time.Sleep(1200 * time.Millisecond)
	trace.Stop()
	f.Close()
	if os.Getenv("WAIT") != "" {
		// A GC stamps g.waitsince on the blocked goroutines; the last
		// one sets the latest clock the core keeps.
		runtime.GC()
		time.Sleep(1500 * time.Millisecond)
		runtime.GC()
	}
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// capturePartial runs liveSrc in a mode and analyzes its core and trace.
func capturePartial(t *testing.T, exe, mode string) *analyze.Result {
	t.Helper()
	return capture(t, exe, mode, true)
}

// capture runs liveSrc and analyzes its core, with the trace or, without
// it, after letting the deadlock age past minStuckWait.
func capture(t *testing.T, exe, mode string, withTrace bool) *analyze.Result {
	t.Helper()
	tr := filepath.Join(t.TempDir(), "trace.out")
	env := []string{"MODE=" + mode, "TRACE=" + tr}
	if !withTrace {
		env = append(env, "WAIT=1")
	}
	p := testcore.Start(t, exe, "ready", env...)
	core := p.Gcore(t)
	files := []analyzetest.File{
		{Disk: exe, Kind: bundle.KindGoBinary},
		{Disk: core, Kind: bundle.KindCore},
	}
	if withTrace {
		files = append(files, analyzetest.File{Disk: tr, Kind: bundle.KindTrace})
	}
	src, err := analyzetest.NewDirSource("deadlock", files)
	if err != nil {
		t.Fatal(err)
	}
	return analyzetest.Run(t, src, Analyzer)
}

// lineOf is the 1-based line of liveSrc holding s.
func lineOf(t *testing.T, s string) int {
	for i, l := range strings.Split(liveSrc, "\n") {
		if strings.TrimSpace(l) == s {
			return i + 1
		}
	}
	t.Fatalf("%q not in the program", s)
	return 0
}

func TestPartialDeadlock(t *testing.T) {
	exe := testcore.Build(t, liveSrc)
	t.Run("inverted", func(t *testing.T) {
		fs := analyzetest.FindingsOf(capturePartial(t, exe, "inverted"), "deadlock")
		if len(fs) != 1 || fs[0].ID != "deadlock/cycle" {
			t.Fatalf("want one deadlock/cycle finding, got %+v", fs)
		}
		f := fs[0]
		if f.Severity != analyze.Critical || f.Cause != analyze.CauseDeadlock {
			t.Errorf("severity %v cause %v", f.Severity, f.Cause)
		}
		// The culprit is the acquiring function at its second Lock: the
		// call made while holding the first lock.
		if second := lineOf(t, "to.mu.Lock()"); f.Culprit == nil || f.Culprit.Function != "main.transfer" || f.Culprit.Line != second {
			t.Errorf("culprit %+v, want main.transfer at the second Lock (line %d)", f.Culprit, second)
		}
		if !strings.Contains(f.Summary, "holds 0x") || strings.Count(f.Summary, " and waits for 0x") != 2 {
			t.Errorf("summary does not name the two-lock cycle: %s", f.Summary)
		}
		if len(f.Stacks) < 2 || !strings.Contains(f.Stacks[0].Title, "holds") {
			t.Errorf("stacks %+v", f.Stacks)
		}
	})
	t.Run("late", func(t *testing.T) {
		fs := analyzetest.FindingsOf(capturePartial(t, exe, "late"), "deadlock")
		if len(fs) != 1 || fs[0].ID != "deadlock/cycle" || fs[0].Confidence != confidenceCycle {
			t.Fatalf("a deadlock formed during the trace: want one deadlock/cycle finding, got %+v", fs)
		}
	})
	t.Run("stuck", func(t *testing.T) {
		fs := analyzetest.FindingsOf(capturePartial(t, exe, "stuck"), "deadlock")
		if len(fs) != 1 || fs[0].ID != "deadlock/stuck-lock" {
			t.Fatalf("want one deadlock/stuck-lock finding, got %+v", fs)
		}
		f := fs[0]
		if f.Culprit == nil || f.Culprit.Function != "main.audit" {
			t.Errorf("culprit %+v, want the holder main.audit", f.Culprit)
		}
		if !strings.Contains(f.Summary, "held by goroutine") {
			t.Errorf("holder not named: %s", f.Summary)
		}
	})
	t.Run("convoy", func(t *testing.T) {
		r := capturePartial(t, exe, "convoy")
		waiters := 0
		for _, g := range r.Goroutines {
			if g.WaitReason == "sync.Mutex.Lock" {
				waiters += g.Count
			}
		}
		if waiters == 0 {
			t.Skip("the core caught no goroutine queued on the convoy's lock; nothing to tell apart")
		}
		if fs := analyzetest.FindingsOf(r, "deadlock"); len(fs) != 0 {
			t.Errorf("a progressing lock convoy (%d waiters in the core) reported: %+v", waiters, fs)
		}
	})
}

// TestCycleByRuntimeWait: without a trace, a lock cycle whose goroutines
// the runtime has seen blocked long enough is a deadlock; a convoy's
// waiters, served in turn, never wait that long.
func TestCycleByRuntimeWait(t *testing.T) {
	exe := testcore.Build(t, liveSrc)
	fs := analyzetest.FindingsOf(capture(t, exe, "inverted", false), "deadlock")
	if len(fs) != 1 || fs[0].ID != "deadlock/cycle" || fs[0].Confidence != confidenceCycleWait {
		t.Fatalf("want one deadlock/cycle finding from waits alone, got %+v", fs)
	}
	if !strings.Contains(fs[0].Summary, "by the runtime's clock") {
		t.Errorf("summary %s", fs[0].Summary)
	}
	if fs := analyzetest.FindingsOf(capture(t, exe, "convoy", false), "deadlock"); len(fs) != 0 {
		t.Errorf("a progressing lock convoy reported from its core: %+v", fs)
	}
}
