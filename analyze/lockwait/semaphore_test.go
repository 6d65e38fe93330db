package lockwait_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/analyze/lockwait"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/testcore"
)

// channelsSrc bounds render's concurrency with a one-slot semaphore
// channel held across a sleep, or (with "queue") feeds a slow consumer
// through a full chan int; it records its block profile and prints
// "ready".
const channelsSrc = `package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

var slots = make(chan struct{}, 1)

//go:noinline
func render() {
	slots <- struct{}{}
	time.Sleep(200 * time.Microsecond)
	<-slots
}

var queue = make(chan int, 8)

//go:noinline
func produce(i int) { queue <- i }

func main() {
	runtime.SetBlockProfileRate(1000)
	for range 16 {
		go func() {
			for i := 0; ; i++ {
				if len(os.Args) > 1 {
					produce(i)
				} else {
					render()
				}
			}
		}()
	}
	go func() {
		for range queue {
			time.Sleep(200 * time.Microsecond)
		}
	}()
	time.Sleep(time.Second)
	f, err := os.Create("block.pprof")
	if err != nil {
		panic(err)
	}
	pprof.Lookup("block").WriteTo(f, 0)
	f.Close()
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// TestSemaphoreChannel: senders queueing on a channel used as a semaphore
// are lock waits, named at the acquiring frame; senders held back by a
// slow consumer are not.
func TestSemaphoreChannel(t *testing.T) {
	exe := testcore.Build(t, channelsSrc)
	for _, c := range []struct {
		name string
		args []string
	}{{"semaphore", nil}, {"queue", []string{"queue"}}} {
		t.Run(c.name, func(t *testing.T) {
			p := testcore.StartArgs(t, exe, "ready", c.args...)
			core := p.Gcore(t)
			files := []analyzetest.File{
				{Disk: filepath.Join(p.Cmd.Dir, "block.pprof"), Kind: bundle.KindPprof},
				{Disk: exe, Kind: bundle.KindGoBinary},
				{Disk: core, Kind: bundle.KindCore},
			}
			f := analyzetest.OnlyFinding(t, files, lockwait.Analyzer)
			if c.name == "queue" {
				if f.Severity >= analyze.Warning {
					t.Errorf("a slow consumer's producers reported as lock waits: %v %q", f.Severity, f.Title)
				}
				return
			}
			if f.Severity < analyze.Warning || f.Cause != analyze.CauseLockWait {
				t.Errorf("severity %v cause %q", f.Severity, f.Cause)
			}
			if f.Culprit == nil || f.Culprit.Function != "main.render" || !strings.Contains(f.Title, "semaphore") {
				t.Errorf("culprit %+v title %q, want the semaphore acquired in main.render", f.Culprit, f.Title)
			}
		})
	}
}
