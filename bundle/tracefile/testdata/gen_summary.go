//go:build ignore

// Command gen_summary writes a small real execution trace for the summary
// tests:
//
//	go run testdata/gen_summary.go testdata/gc-mutex.trace
//
// For a moment it allocates under a small GOGC (GC cycles, assists,
// stop-the-world pauses, one forced by runtime.GC) while four goroutines
// contend for one mutex (blocking with reason "sync").
package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/trace"
	"sync"
	"time"
)

var (
	sink [64][]byte
	mu   sync.Mutex
)

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	debug.SetGCPercent(10)
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				mu.Lock()
				for j := range 20 {
					sink[(g*20+j)%len(sink)] = make([]byte, 4096)
				}
				time.Sleep(50 * time.Microsecond)
				mu.Unlock()
			}
		}()
	}
	runtime.GC()
	wg.Wait()
	trace.Stop()
	if err := f.Close(); err != nil {
		panic(err)
	}
}
