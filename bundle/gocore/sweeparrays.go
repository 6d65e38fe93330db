package gocore

import (
	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/internal/hugepages"
)

// sweepArrays are the sweep's per-goroutine arrays, by allgs index. For a
// million goroutines they take over 200 MB of fresh memory, which the
// kernel zeroes page by page as it is first written: prepareSweep makes
// them, and has every page faulted in, on another goroutine while the
// census reads the timer heaps and the semaphore tables, so the sweep
// starts with its memory ready. They are sized by the goroutine list as
// read (readPointers), which a damaged runtime.allglen cannot stretch
// past its readable part.
type sweepArrays struct {
	out  []goroutines.Goroutine
	live []bool
	// chans[x] are the channels goroutine x waits on.
	chans [][]uint64
	// semas[x] is the semaphore goroutine x waits on, read through its
	// g.waiting; waiters found along the chains are in semaWalk.waiters.
	semas []uint64
}

// prepareSweep makes the arrays for n goroutines in the background.
func prepareSweep(n int) <-chan *sweepArrays {
	ready := make(chan *sweepArrays, 1)
	go func() {
		a := &sweepArrays{out: make([]goroutines.Goroutine, n), live: make([]bool, n), chans: make([][]uint64, n), semas: make([]uint64, n)}
		hugepages.Advise(a.out)
		hugepages.Advise(a.chans)
		hugepages.Advise(a.semas)
		hugepages.Prefault(a.out)
		hugepages.Prefault(a.chans)
		hugepages.Prefault(a.semas)
		ready <- a
	}()
	return ready
}
