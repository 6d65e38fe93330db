package deadlock

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/testcore"
)

// idlePoolSrc is a worker pool between jobs: 200 workers wait to receive
// the next job, which main hands out every 100 ms.
const idlePoolSrc = `package main

import (
	"fmt"
	"time"
)

//go:noinline
func work(jobs <-chan int, done chan<- int) {
	for j := range jobs {
		done <- j * j
	}
}

func main() {
	jobs, done := make(chan int), make(chan int, 1024)
	for range 200 {
		go work(jobs, done)
	}
	go func() {
		for range done {
		}
	}()
	jobs <- 1
	fmt.Println("ready")
	for i := 0; ; i++ {
		time.Sleep(100 * time.Millisecond)
		jobs <- i
	}
}
`

// TestIdlePoolIsNotStalled: every worker of an idle pool is parked on a
// receive and nothing is runnable between jobs, in the core and in the
// runtime's dump alike; that is how consumers wait for work, not a stall.
func TestIdlePoolIsNotStalled(t *testing.T) {
	exe := testcore.Build(t, idlePoolSrc)
	p := testcore.Start(t, exe, "ready")
	core := p.Gcore(t)
	log := filepath.Join(t.TempDir(), "sigquit.txt")
	if err := os.WriteFile(log, p.Quit(t), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, files := range map[string][]analyzetest.File{
		"core": {{Disk: exe, Kind: bundle.KindGoBinary}, {Disk: core, Kind: bundle.KindCore}},
		"dump": {{Disk: log, Kind: bundle.KindGoroutineDump}},
	} {
		if fs := analyse(t, files); len(fs) != 0 {
			t.Errorf("%s: idle worker pool reported: %+v", name, fs)
		}
	}
}
