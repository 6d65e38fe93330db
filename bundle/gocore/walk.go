package gocore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/coroner/coroner/bundle/goroutines"
)

// The census reads every goroutine in one sweep over the core's memory, in
// address order: the g structs, and as each is read, its stack (by its
// saved stack pointer), then the sudogs it waits on, the channels they
// name and those channels' timers, together with the timers of the Ps'
// timer heaps. A core read in place from an archive decodes a whole 4 MiB
// frame for any byte it needs and keeps a few frames (bundle's
// memberCacheBytes), and a long-running program's goroutines, stacks,
// sudogs and timers lie interleaved all over its heap, in no relation to
// their order in runtime.allgs. The runtime allocates a g and its stack
// together (newproc's malg) from the same page heap, so a stack mostly
// lies near its g and is read at once (sweepQueue.near), and the sweep
// passes each frame about once, whatever the goroutine count. A
// goroutine whose stack lies further is kept as a g record (grecord.go)
// until the sweep reaches the stack; a read that falls behind goes to a
// further, shorter sweep. Each stack becomes an interned []Frame
// (stackInterner). Goroutines keep their allgs order in the census.
//
// Before the sweep the census reads the semaphore tables (semasweep.go):
// the held-lock scan of each stack needs every contended semaphore known.

// allgList reads where runtime.allgs lies and how many goroutines it
// lists.
func (fr *fastReader) allgList(l *layout) (allgs, n uint64, err error) {
	allgs, err = fr.mem.u64(l.syms["runtime.allgs"].Value)
	if err != nil {
		return 0, 0, fmt.Errorf("runtime.allgs: %w", err)
	}
	n, err = fr.mem.u64(l.syms["runtime.allglen"].Value)
	if err != nil {
		return 0, 0, fmt.Errorf("runtime.allglen: %w", err)
	}
	if n > maxAllgs {
		return 0, 0, fmt.Errorf("runtime.allglen is %d (more than %d): goroutine list corrupt", n, maxAllgs)
	}
	return allgs, n, nil
}

// walk reads the goroutines at gps (allgs, as readPointers read it) into
// census, through the arrays prepareSweep(len(gps)) makes, and the timers
// at timers (sorted; heapTimers) laid out as to says.
func (fr *fastReader) walk(l *layout, gps []uint64, census *goroutines.Census, arrays <-chan *sweepArrays, timers []uint64, to timerHeapOffsets) (*fastResult, error) {
	res := &fastResult{census: census, running: map[int64]bool{}, runningAt: map[uint64]int{}}
	sw := fr.semaTreaps(l)
	fr.heldScan = fr.newHeldScan(l, sw.semaphores())
	if err := fr.sweep(newGRecords(fr.o), gps, <-arrays, timers, to, sw, res); err != nil {
		return nil, err
	}
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

// sweep reads the goroutines at gps (each g struct into a record laid out
// by recs, then its stack and what it waits on), the timers (chanTimer)
// and the semaphore waiters sw leaves to it, all in address order; it
// marks the channel waiters (markChans) and semaphore waiters (semaLocks)
// and leaves the live goroutines in the census in allgs order.
func (fr *fastReader) sweep(recs *gRecords, gps []uint64, a *sweepArrays, timers []uint64, to timerHeapOffsets, sw *semaWalk, res *fastResult) error {
	o, size := &recs.offsets, int(recs.offsets.size)
	// Records are kept only of the goroutines whose stack lies further
	// on (a few in a hundred), packed in the order they are made; a stack
	// read carries its record's slot in elem.
	var rb []byte
	rec := func(slot uint64) []byte { return rb[slot*uint64(size) : (slot+1)*uint64(size)] }
	gb := make([]byte, recs.gSize)
	out, live, chans, semas := a.out, a.live, a.chans, a.semas
	sendTime := map[uint64]bool{} // func value → it is time.sendTime
	var q sweepQueue
	q.reserve(len(gps) + len(timers) + len(sw.heads))
	for x, gp := range gps {
		q.push(sweepItem{addr: gp, kind: gStruct, x: x})
	}
	for t, addr := range timers {
		q.push(sweepItem{addr: addr, kind: timer, x: t})
	}
	sw.queueChains(&q)
	cr := chanReads{}
	// goroutine decodes goroutine x from b, its g struct or record laid
	// out as lo says, and queues the read of what it waits on.
	goroutine := func(x int, lo *gOffsets, b []byte) {
		var sudog uint64
		out[x], live[x], sudog = fr.goroutine(lo, b)
		switch {
		case !live[x] || sudog == 0:
		case !sw.chains && semaWaitReasons[out[x].WaitReason]:
			q.push(sweepItem{addr: sudog, kind: semaSudog, x: x})
		default:
			q.push(sweepItem{addr: sudog, kind: chanSudog, x: x})
		}
	}
	bad := 0
	for {
		it, more := q.pop()
		if !more {
			break
		}
		x := it.x
		switch it.kind {
		case gStruct:
			if err := fr.mem.read(gb, gps[x]); err != nil {
				bad++
				res.census.Complete = false
				res.census.Warnings = appendCapped(res.census.Warnings, fmt.Sprintf("unreadable goroutine at allgs index %d (g %#x): %v", x, gps[x], err))
				if bad >= maxUnreadableRun {
					return errors.New("goroutine list corrupt: too many unreadable goroutines")
				}
				continue
			}
			// A stack close by is read at once, from the g struct itself;
			// another waits for the sweep in a record.
			if sp := fr.u64(gb, fr.o.schedSP); q.near(sp) {
				goroutine(x, fr.o, gb)
			} else {
				slot := uint64(len(rb) / size)
				rb = append(rb, make([]byte, size)...)
				recs.copyFrom(rec(slot), gb)
				q.push(sweepItem{addr: sp, kind: stack, x: x, elem: slot})
			}
		case timer:
			fr.chanTimer(to, it.addr, sendTime)
		case semaWaiter:
			fr.semaWaiter(sw, &q, it.addr, it.elem)
		case stack:
			goroutine(x, o, rec(it.elem))
		case semaSudog:
			semas[x] = fr.semaSudog(gps[x], it.addr)
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
	semaLocks(out, gps, live, semas, sw.waiters)
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
		if k != x {
			out[k] = out[x]
		}
		k++
	}
	clear(out[k:])
	res.census.Goroutines = out[:k:k]
	return nil
}

// semaLocks gives each goroutine parked on a semaphore (semas[x], or
// byG by its g, as the chains gave it) that semaphore as its lock, which
// its held locks then leave out: the held-lock scan ran before the
// semaphore was known.
func semaLocks(out []goroutines.Goroutine, gps []uint64, live []bool, semas []uint64, byG map[uint64]uint64) {
	for x, gp := range gps {
		a := semas[x]
		if a == 0 && len(byG) > 0 {
			a = byG[gp]
		}
		if a == 0 || !live[x] || out[x].Status != "waiting" {
			continue
		}
		g := &out[x]
		g.LockAddr = a
		if i := slices.Index(g.HeldLocks, a); i >= 0 {
			g.HeldLocks = slices.Delete(g.HeldLocks, i, i+1)
			if len(g.HeldLocks) == 0 {
				g.HeldLocks = nil
			}
		}
	}
}
