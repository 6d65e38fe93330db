package deadlock

import (
	"path/filepath"
	"testing"

	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/testcore"
)

// convoySrc queues 40 goroutines on a one-slot semaphore channel whose
// holder sleeps 1 ms: at any instant nearly all are blocked sending and
// none is runnable, yet one gets the slot every millisecond. It traces
// itself for a second before printing "ready".
const convoySrc = `package main

import (
	"fmt"
	"os"
	"runtime/trace"
	"time"
)

var slots = make(chan struct{}, 1)

//go:noinline
func withSlot() {
	slots <- struct{}{}
	time.Sleep(time.Millisecond)
	<-slots
}

func main() {
	for range 40 {
		go func() {
			for {
				withSlot()
			}
		}()
	}
	f, err := os.Create("trace.out")
	if err != nil {
		panic(err)
	}
	trace.Start(f)
	time.Sleep(time.Second)
	trace.Stop()
	f.Close()
	fmt.Println("ready")
	select {}
}
`

// TestConvoyIsNotStalled: the core alone cannot tell a convoy from a
// stall; the trace shows the senders still being woken up to its end.
func TestConvoyIsNotStalled(t *testing.T) {
	exe := testcore.Build(t, convoySrc)
	p := testcore.Start(t, exe, "ready")
	core := p.Gcore(t)
	files := []analyzetest.File{{Disk: exe, Kind: bundle.KindGoBinary}, {Disk: core, Kind: bundle.KindCore}}
	if fs := analyse(t, files); len(fs) != 1 {
		t.Logf("core alone: %d findings (the snapshot caught a hand-off)", len(fs))
	}
	files = append(files, analyzetest.File{Disk: filepath.Join(p.Cmd.Dir, "trace.out"), Kind: bundle.KindTrace})
	if fs := analyse(t, files); len(fs) != 0 {
		t.Errorf("convoy reported with its trace: %+v", fs)
	}
}
