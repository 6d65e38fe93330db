package gocore

import (
	"fmt"
	"testing"

	"github.com/coroner/coroner/internal/testcore"
)

// manyCrashSrc parks %d goroutines like manySrc, then panics.
const manyCrashSrc = `package main

import (
	"sync"
	"time"
)

func main() {
	var mu sync.Mutex
	mu.Lock()
	ch := make(chan int)
	for i := 0; i < %d; i++ {
		switch i %% 3 {
		case 0:
			go func() { <-ch }()
		case 1:
			go func() { mu.Lock() }()
		case 2:
			go func() { select { case <-ch: case <-time.After(time.Hour): } }()
		}
	}
	time.Sleep(time.Second)
	var m map[string]int
	m["crash"] = 1
}
`

// BenchmarkCrashCensus compares the census of a 10k-goroutine crash core
// read where it lies in an archive (coroner's reader) with what it took
// before: extracting the core, then delve reading the running goroutines
// and the crash. Each iteration starts from a cold cache.
func BenchmarkCrashCensus(b *testing.B) {
	const n = 10000
	testcore.CheckCoreDumps(b)
	exe := testcore.BuildIn(b, tmpDir, fmt.Sprintf(manyCrashSrc, n))
	core, _ := testcore.CrashIn(b, tmpDir, exe)
	path := ingestCore(b, core, exe)
	for _, mode := range []string{"in-place", "extract+delve"} {
		b.Run(mode, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				c := coldCensus(b, path, exe, mode == "in-place")
				if c.Total() < n || c.Crash == nil || c.Crash.Message == "" {
					b.Fatalf("census of %d goroutines, crash %+v", c.Total(), c.Crash)
				}
				if want := map[bool]string{true: directReader, false: "delve " + DelveVersion()}[mode == "in-place"]; c.Reader != want {
					b.Fatalf("read by %q, want %q", c.Reader, want)
				}
			}
		})
	}
}
