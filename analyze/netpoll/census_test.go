package netpoll_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/analyze/netpoll"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/testcore"
)

// tickerSrc runs goroutines that each receive from a 20 µs ticker and do
// nothing else, records its own CPU profile while they spin, and keeps
// spinning; other goroutines wait on a slow ticker and on a one-hour
// time.After. Timer channels are Go 1.23's synchronous ones (the test
// module says go 1.22).
const tickerSrc = `//go:debug asynctimerchan=0
package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"time"
)

//go:noinline
func pollTicker() {
	t := time.NewTicker(20 * time.Microsecond)
	for range t.C {
	}
}

//go:noinline
func report() {
	for range time.NewTicker(time.Second).C {
	}
}

//go:noinline
func expire(quit chan int) {
	for {
		select {
		case <-quit:
			return
		case <-time.After(time.Hour):
		}
	}
}

func main() {
	f, err := os.Create("cpu.pprof")
	if err != nil {
		panic(err)
	}
	pprof.StartCPUProfile(f)
	quit := make(chan int)
	for range 8 {
		go report()
		go expire(quit)
	}
	for range 100 {
		go pollTicker()
	}
	time.Sleep(3 * time.Second)
	pprof.StopCPUProfile()
	f.Close()
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// TestTimerSpinFromCore: CPU samples show the scheduler spinning on
// timers but not who creates them (each ticker was made once); the core
// names the frame whose goroutines the fast tickers keep waking.
func TestTimerSpinFromCore(t *testing.T) {
	exe := testcore.Build(t, tickerSrc)
	p := testcore.Start(t, exe, "ready")
	prof := filepath.Join(p.Cmd.Dir, "cpu.pprof")
	core := p.Gcore(t)
	p.Quit(t)
	if _, err := os.Stat(prof); err != nil {
		t.Fatal(err)
	}
	cpuOnly := []analyzetest.File{{Disk: prof, Kind: bundle.KindPprof}}
	f := analyzetest.OnlyFinding(t, cpuOnly, netpoll.Analyzer)
	if f.Severity < analyze.Warning {
		t.Fatalf("CPU profile alone: severity %v, want the spin seen", f.Severity)
	}
	if f.Culprit != nil && f.Culprit.Function == "main.pollTicker" {
		t.Logf("the CPU profile named the culprit by itself")
	}
	f = analyzetest.OnlyFinding(t, append(cpuOnly, analyzetest.File{Disk: exe, Kind: bundle.KindGoBinary}, analyzetest.File{Disk: core, Kind: bundle.KindCore}), netpoll.Analyzer)
	if f.Culprit == nil || f.Culprit.Function != "main.pollTicker" {
		t.Errorf("culprit %+v, want main.pollTicker", f.Culprit)
	}
	var ev *analyze.Evidence
	for i := range f.Evidence {
		if f.Evidence[i].Metric == "goroutines_waiting_on_timers" {
			ev = &f.Evidence[i]
		}
	}
	if ev == nil || !strings.Contains(ev.Artifact, "core") || ev.Value < 100 {
		t.Errorf("census evidence %+v, want the 100 ticker goroutines and more from the core", ev)
	}
}
