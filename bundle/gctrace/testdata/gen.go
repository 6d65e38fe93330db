//go:build ignore

// Command gen produces real gctrace logs for the parser's tests:
//
//	go build -o gen testdata/gen.go
//	GODEBUG=gctrace=1 ./gen alloc 2> testdata/alloc.log
//	GODEBUG=gctrace=1 ./gen limit 2> testdata/limit.log
//	GODEBUG=gctrace=1 ./gen gogc10 2> testdata/gogc10.log
//	rm gen
//
// (built first: under go run the go command's and compiler's own gctrace
// lines would land in the log too)
//
// alloc allocates garbage under a small GOGC and a memory limit for a
// moment, with one forced collection, so the log has ordinary, forced and
// limit-driven cycles. limit turns GOGC off under a 64 MiB memory limit and
// keeps about 50 MiB live while it allocates, so the heap sits at the
// goal the limit sets. gogc10 keeps the same live heap under GOGC=10 and no
// limit: as little headroom as a setting gives, but paced by GOGC.
package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"time"
)

var (
	sink [128][]byte
	live [][]byte
)

func main() {
	switch os.Args[1] {
	case "alloc":
		debug.SetGCPercent(20)
		debug.SetMemoryLimit(64 << 20)
		deadline := time.Now().Add(40 * time.Millisecond)
		for i := 0; time.Now().Before(deadline); i++ {
			sink[i%len(sink)] = make([]byte, 1<<10+i%(64<<10))
			if i == 5000 {
				runtime.GC()
			}
		}
	case "limit", "gogc10":
		if os.Args[1] == "limit" {
			debug.SetGCPercent(-1)
			debug.SetMemoryLimit(64 << 20)
		} else {
			debug.SetGCPercent(10)
		}
		for range 50 {
			live = append(live, make([]byte, 1<<20))
		}
		deadline := time.Now().Add(1200 * time.Millisecond)
		for i := 0; time.Now().Before(deadline); i++ {
			sink[i%len(sink)] = make([]byte, 4<<10+i%(8<<10))
		}
	}
}
