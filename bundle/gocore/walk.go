package gocore

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/coroner/coroner/bundle/goroutines"
)

// The census reads every goroutine in two sweeps over the core's memory,
// each in address order: first the g structs (with the timers of the Ps'
// timer heaps and the semaphore tables' sudogs, semasweep.go), then the
// stacks by their saved stack pointer together with the sudogs of channel
// waiters. A core read in place from an archive decodes a whole 4 MiB
// frame for any byte it needs and keeps a few frames (bundle's
// memberCacheBytes), and a long-running program's goroutines, stacks,
// sudogs and timers lie interleaved all over its heap, in no relation to
// their order in runtime.allgs; a sweep in address order passes each
// frame once, so the census decodes about each frame holding a goroutine's
// data twice, whatever the goroutine count. A read found while a sweep
// has not yet passed its frame (a channel waiter's sudog, the channel it
// names and that channel's timer, the next semaphore waiter) is made in
// the same sweep (sweepQueue). Between the sweeps each goroutine is kept as a g record
// (grecord.go), its stack as an interned []Frame (stackInterner).
// Goroutines keep their allgs order in the census.

// walk reads every goroutine runtime.allgs lists, and the timers at
// timers (sorted; heapTimers) laid out as to says.
func (fr *fastReader) walk(l *layout, timers []uint64, to timerHeapOffsets) (*fastResult, error) {
	allgs, err := fr.mem.u64(l.syms["runtime.allgs"].Value)
	if err != nil {
		return nil, fmt.Errorf("runtime.allgs: %w", err)
	}
	n, err := fr.mem.u64(l.syms["runtime.allglen"].Value)
	if err != nil {
		return nil, fmt.Errorf("runtime.allglen: %w", err)
	}
	if n > maxAllgs {
		return nil, fmt.Errorf("runtime.allglen is %d (more than %d): goroutine list corrupt", n, maxAllgs)
	}
	res := &fastResult{census: &goroutines.Census{Format: "core", Complete: true}, running: map[int64]bool{}, runningAt: map[uint64]int{}}
	gps := fr.readPointers(allgs, n, res.census)
	recs := newGRecords(fr.o)
	ok, rb, err := fr.readGs(l, recs, gps, timers, to, res.census)
	if err != nil {
		return nil, err
	}
	fr.heldScan = fr.newHeldScan(l)
	fr.decodeAll(recs, gps, ok, rb, res)
	return res, nil
}

// readPointers reads allgs[:n]; a list that turns unreadable is cut there,
// with a warning.
func (fr *fastReader) readPointers(allgs, n uint64, c *goroutines.Census) []uint64 {
	gps := make([]uint64, 0, n)
	ptrs := make([]byte, 8*allgsChunk)
	for i := uint64(0); i < n; i += allgsChunk {
		m := min(allgsChunk, n-i)
		if err := fr.mem.read(ptrs[:8*m], allgs+8*i); err != nil {
			c.Complete = false
			c.Warnings = appendCapped(c.Warnings, fmt.Sprintf("goroutine list unreadable after %d entries: %v", i, err))
			break
		}
		for x := uint64(0); x < m; x++ {
			gps = append(gps, binary.LittleEndian.Uint64(ptrs[8*x:]))
		}
	}
	return gps
}

// readGs is the first sweep: it reads the g structs at gps into g records,
// laid out by recs, one after another in allgs order (ok[x] says whether g
// x was read), the timers (chanTimer) and the semaphore tables' sudogs
// (semasweep.go, into fr.sema), all in address order.
func (fr *fastReader) readGs(l *layout, recs *gRecords, gps, timers []uint64, to timerHeapOffsets, c *goroutines.Census) (ok []bool, rb []byte, err error) {
	size := int(recs.offsets.size)
	ok, rb = make([]bool, len(gps)), make([]byte, len(gps)*size)
	gb := make([]byte, recs.gSize)
	bad := 0
	sendTime := map[uint64]bool{} // func value → it is time.sendTime
	var q sweepQueue
	q.reserve(len(gps) + len(timers))
	for x, gp := range gps {
		q.push(sweepItem{addr: gp, kind: gStruct, x: x})
	}
	for t, addr := range timers {
		q.push(sweepItem{addr: addr, kind: timer, x: t})
	}
	sw := fr.semaRoots(l, &q)
	for {
		it, more := q.pop()
		if !more {
			break
		}
		switch it.kind {
		case timer:
			fr.chanTimer(to, it.addr, sendTime)
			continue
		case treapNode:
			fr.treapNode(sw, &q, it.addr, it.x)
			continue
		case semaWaiter:
			fr.semaWaiter(sw, &q, it.addr, it.elem)
			continue
		}
		x := it.x
		if err := fr.mem.read(gb, gps[x]); err != nil {
			bad++
			c.Complete = false
			c.Warnings = appendCapped(c.Warnings, fmt.Sprintf("unreadable goroutine at allgs index %d (g %#x): %v", x, gps[x], err))
			if bad >= maxUnreadableRun {
				return nil, nil, errors.New("goroutine list corrupt: too many unreadable goroutines")
			}
			continue
		}
		recs.copyFrom(rb[x*size:(x+1)*size], gb)
		ok[x] = true
	}
	fr.sema = sw.waiters
	return ok, rb, nil
}

// decodeAll sizes the held-lock scans in allgs order (scanLen: as its
// budget runs out, which stacks are scanned must not depend on where they
// lie), then decodes the goroutines and reads the channels of channel
// waiters in the second sweep, with the channels themselves and their
// timers (chanReads), marks the waiters (markChans), and leaves the live
// goroutines in the census in allgs order.
func (fr *fastReader) decodeAll(recs *gRecords, gps []uint64, ok []bool, rb []byte, res *fastResult) {
	o, size := &recs.offsets, int(recs.offsets.size)
	rec := func(x int) []byte { return rb[x*size : (x+1)*size] }
	scan := make([]uint64, len(gps))
	for x := range gps {
		if !ok[x] {
			continue
		}
		b := rec(x)
		status := uint64(binary.LittleEndian.Uint32(b[o.status:])) &^ gScan
		if gStatus[status] == "waiting" {
			scan[x] = fr.scanLen(fr.u64(b, o.schedSP), fr.u64(b, o.stackLo), fr.u64(b, o.stackHi))
		}
	}
	out := make([]goroutines.Goroutine, len(gps))
	live := make([]bool, len(gps))
	chans := make([][]uint64, len(gps))
	var q sweepQueue
	q.reserve(len(gps))
	for x := range gps {
		if ok[x] {
			q.push(sweepItem{addr: fr.u64(rec(x), o.schedSP), kind: stack, x: x})
		}
	}
	cr := chanReads{}
	for {
		it, more := q.pop()
		if !more {
			break
		}
		x := it.x
		switch it.kind {
		case stack:
			var sudog uint64
			out[x], live[x], sudog = fr.goroutine(o, gps[x], rec(x), scan[x])
			if live[x] && sudog != 0 {
				q.push(sweepItem{addr: sudog, kind: chanSudog, x: x})
			}
		case chanSudog:
			chans[x] = fr.waitChans(it.addr)
			if out[x].Status == "waiting" && len(chans[x]) > 0 {
				out[x].LockAddr = chans[x][0]
			}
			fr.queueChans(&cr, &q, chans[x])
		case chanHeader:
			fr.chanHeader(&cr, &q, it.addr)
		case chanTimerPeriod:
			fr.chanTimerPeriod(&cr, it.addr, it.elem)
		}
	}
	fr.markChans(out, chans, cr)
	// The live goroutines move to the front of out, which becomes the
	// census: a million goroutines are not held twice.
	k := 0
	for x := range gps {
		if !live[x] {
			continue
		}
		if out[x].Status == "running" {
			res.running[out[x].ID] = true
			res.runningAt[gps[x]] = k
		}
		out[k] = out[x]
		k++
	}
	clear(out[k:])
	res.census.Goroutines = out[:k:k]
}
