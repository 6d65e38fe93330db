//go:build ignore

// Command gen produces a real gctrace log for the parser's tests:
//
//	go build -o gen testdata/gen.go && GODEBUG=gctrace=1 ./gen 2> testdata/alloc.log && rm gen
//
// (built first: under go run the go command's and compiler's own gctrace
// lines would land in the log too)
//
// It allocates garbage under a small GOGC and a memory limit for a moment,
// with one forced collection, so the log has ordinary, forced and
// limit-driven cycles.
package main

import (
	"runtime"
	"runtime/debug"
	"time"
)

var sink [128][]byte

func main() {
	debug.SetGCPercent(20)
	debug.SetMemoryLimit(64 << 20)
	deadline := time.Now().Add(40 * time.Millisecond)
	for i := 0; time.Now().Before(deadline); i++ {
		sink[i%len(sink)] = make([]byte, 1<<10+i%(64<<10))
		if i == 5000 {
			runtime.GC()
		}
	}
}
