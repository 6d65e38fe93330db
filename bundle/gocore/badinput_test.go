package gocore

import (
	"context"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coroner/coroner/bundle/elfcore"
	"github.com/coroner/coroner/internal/testcore"
	"github.com/coroner/coroner/internal/worker"
)

var (
	crashOnce          sync.Once
	crashExe, crashCor string
)

// workerCrash returns a core of workerCrashSrc and its executable, made
// once per test binary.
func workerCrash(t *testing.T) (exe, core string) {
	crashOnce.Do(func() {
		crashExe = testcore.BuildIn(t, tmpDir, workerCrashSrc)
		crashCor, _ = testcore.CrashIn(t, tmpDir, crashExe)
	})
	if crashCor == "" {
		t.Skip("no core")
	}
	return crashExe, crashCor
}

func writeVariant(t *testing.T, src string, mutate func([]byte) []byte) string {
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "core")
	if err := os.WriteFile(p, mutate(b), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTruncatedCore(t *testing.T) {
	exe, core := workerCrash(t)
	for _, frac := range []float64{0.9, 0.5, 0.1} {
		cut := writeVariant(t, core, func(b []byte) []byte { return b[:int(float64(len(b))*frac)] })
		c, err := Census(context.Background(), cut, exe, Options{Limits: worker.Limits{Timeout: time.Minute}})
		if c == nil {
			t.Fatalf("cut at %.0f%%: no census at all (%v)", frac*100, err)
		}
		if c.Complete {
			t.Errorf("cut at %.0f%%: census complete", frac*100)
		}
		all := strings.Join(c.Warnings, "\n")
		if err != nil {
			all += "\n" + err.Error()
		}
		if !strings.Contains(all, "core truncated:") || !strings.Contains(all, "bytes missing") {
			t.Errorf("cut at %.0f%%: truncation not named: %s", frac*100, all)
		}
		if c.Crash == nil || c.Crash.Signal != "SIGABRT" {
			t.Errorf("cut at %.0f%%: crash signal from the notes lost: %+v", frac*100, c.Crash)
		}
	}
}

func TestWrongBinary(t *testing.T) {
	_, core := workerCrash(t)
	other := testcore.BuildIn(t, tmpDir, nilDerefSrc)
	c, err := Census(context.Background(), core, other, Options{})
	var be *BuildIDError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want a build ID mismatch", err)
	}
	if be.Exe == be.Core || be.Exe == "" || be.Core == "" || !strings.Contains(err.Error(), "--force") {
		t.Errorf("message %q", err)
	}
	if c == nil || c.Crash == nil {
		t.Error("no partial census from the notes")
	}
	// --force goes ahead; the answer may be wrong, but it must not crash.
	c, err = Census(context.Background(), core, other, Options{Force: true})
	if c == nil {
		t.Fatalf("forced: no census (%v)", err)
	}
	if !strings.Contains(strings.Join(c.Warnings, "\n"), "does not match") {
		t.Errorf("forced census does not warn about the mismatch: %v", c.Warnings)
	}
}

func TestMutatedNotes(t *testing.T) {
	exe, core := workerCrash(t)
	b, _ := os.ReadFile(core)
	f, err := elf.NewFile(strings.NewReader(string(b[:64<<10])))
	if err != nil {
		t.Fatal(err)
	}
	var noteOff uint64
	for _, p := range f.Progs {
		if p.Type == elf.PT_NOTE {
			noteOff = p.Off
		}
	}
	bad := writeVariant(t, core, func(b []byte) []byte {
		binary.LittleEndian.PutUint32(b[noteOff+4:], 0xFFFFFFF0)
		return b
	})
	_, err = Census(context.Background(), bad, exe, Options{})
	if err == nil || !strings.Contains(err.Error(), "0xfffffff0") {
		t.Errorf("err = %v, want the bad note size named", err)
	}
	if errors.Is(err, worker.ErrKilled) {
		t.Error("the mutated core reached delve")
	}
}

// TestStrippedBinary: a stripped executable with no layout table (a
// GOEXPERIMENT may change the runtime's structs) still gives the crash
// site, and the census says what to attach.
func TestStrippedBinary(t *testing.T) {
	t.Setenv("GOEXPERIMENT", untabledExperiment)
	exe := testcore.BuildIn(t, tmpDir, nilDerefSrc, "-ldflags=-s -w")
	core, _ := testcore.CrashIn(t, tmpDir, exe)
	c, err := Census(context.Background(), core, exe, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(c.Warnings, "\n"); !strings.Contains(w, "no DWARF") || !strings.Contains(w, "--debug-binary") || c.Complete {
		t.Errorf("census of a stripped binary: complete=%v warnings %v", c.Complete, c.Warnings)
	}
	if c.Crash == nil || c.Crash.Signal == "" {
		t.Fatalf("partial census lost the signal: %+v", c.Crash)
	}
	// The pclntab still names the crash site through the frame chain: the
	// faulting line (7), in read, which the compiler inlined; its inline
	// tree names it as delve's DWARF does.
	if s := c.Crash.Site; s == nil || s.Line != 7 || s.Func != "main.read" {
		t.Errorf("crash site from the pclntab: %+v", c.Crash.Site)
		for _, g := range c.Goroutines {
			t.Logf("%+v", g.Frames)
		}
	}
}

// TestStrippedSnapshot: a gcore snapshot of a stripped binary with no
// layout table lists no goroutines and reports no crash: nothing crashed.
func TestStrippedSnapshot(t *testing.T) {
	t.Setenv("GOEXPERIMENT", untabledExperiment)
	exe := testcore.BuildIn(t, tmpDir, timersSrc, "-ldflags=-s -w")
	c, _ := snapshotCensus(t, exe)
	if c.Crash != nil || len(c.Goroutines) != 0 || c.Complete {
		t.Errorf("crash %+v, %d goroutines, complete=%v", c.Crash, len(c.Goroutines), c.Complete)
	}
	if w := strings.Join(c.Warnings, "\n"); !strings.Contains(w, "no DWARF") {
		t.Errorf("warnings %q", w)
	}
	if r := c.Requested; r == nil || r.Signal != "" || !strings.Contains(r.Evidence, "gcore") {
		t.Errorf("a snapshot not reported as one: %+v", r)
	}
}

// untabledExperiment is a GOEXPERIMENT that leaves the runtime's structs
// alone but, recorded in the build info, takes a build outside the
// layout tables, which are made without experiments.
const untabledExperiment = "heapminimum512kib"

func TestNonGoCore(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	p := testcore.StartPlain(t, sleep, "60")
	core := p.Gcore(t)
	_, err = Census(context.Background(), core, sleep, Options{})
	if err == nil {
		t.Fatal("census of a non-Go core succeeded")
	}
	t.Logf("non-Go core: %v", err)
}

func TestWorkerBudget(t *testing.T) {
	exe, core := workerCrash(t)
	c, err := Census(context.Background(), core, exe, Options{Limits: worker.Limits{Timeout: time.Millisecond}})
	if !errors.Is(err, worker.ErrKilled) {
		t.Fatalf("err = %v, want the worker killed", err)
	}
	if c == nil || c.Complete || c.Crash == nil || c.Crash.Signal != "SIGABRT" {
		t.Errorf("partial census %+v", c)
	}
}

// TestCorruptGoroutineList overwrites runtime.allglen in the core with a
// huge value: the census must stop with a warning, not walk it.
func TestCorruptGoroutineList(t *testing.T) {
	exe, core := workerCrash(t)
	ef, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	syms, _ := ef.Symbols()
	ef.Close()
	var allglen uint64
	for _, s := range syms {
		if s.Name == "runtime.allglen" {
			allglen = s.Value
		}
	}
	if allglen == 0 {
		t.Skip("runtime.allglen not in the symbol table")
	}
	cf, err := os.Open(core)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := cf.Stat()
	info, err := elfcore.Parse(cf, st.Size())
	cf.Close()
	if err != nil {
		t.Fatal(err)
	}
	var off uint64
	for _, s := range info.Segments {
		if s.Type == 1 && allglen >= s.Vaddr && allglen+8 <= s.Vaddr+s.Filesz {
			off = s.Offset + allglen - s.Vaddr
		}
	}
	if off == 0 {
		t.Skip("runtime.allglen not dumped in the core")
	}
	bad := writeVariant(t, core, func(b []byte) []byte {
		binary.LittleEndian.PutUint64(b[off:], 1<<40)
		return b
	})
	c, err := Census(context.Background(), bad, exe, Options{Limits: worker.Limits{Timeout: time.Minute}})
	if err != nil {
		t.Logf("corrupt list: %v", err)
		return
	}
	if c.Complete {
		t.Error("census of a corrupt goroutine list is complete")
	}
	if !strings.Contains(strings.Join(c.Warnings, "\n"), "goroutine list corrupt") {
		t.Errorf("warnings %v", c.Warnings)
	}
	if len(c.Goroutines) == 0 {
		t.Error("the readable goroutines were lost")
	}
}
