package gocore

import (
	"debug/elf"
	"encoding/binary"
	"io"
	"slices"

	"github.com/coroner/coroner/bundle/elfcore"
)

// Bounds on the walk of the Ps' timer heaps.
const (
	// maxPs bounds runtime.allp: GOMAXPROCS is at most 256 on most
	// machines' CPU counts, and the runtime caps it at 1<<10 P structs
	// in practice (_MaxGomaxprocs); more means a damaged slice.
	maxPs = 1 << 10
	// maxHeapTimers bounds one P's timer heap: a million pending timers
	// on one P is far past any service (each is a live Timer, Ticker,
	// deadline or sleep).
	maxHeapTimers = 1 << 20
)

// heapTimers returns the timers in the Ps' timer heaps (p.timers.heap, Go
// 1.23's layout), sorted by address, for chanTimer to read: a channel timer
// calls time.sendTime with the channel as its argument. This finds the
// asynchronous timer channels a module declaring go 1.22 or earlier still
// gets, which hchan.timer does not name. It returns nil when the program's
// runtime has another layout or the heaps cannot be read. The heaps are in
// deadline order and their timers lie scattered over the Go heap, so the
// census reads them in address order, in its sweep (walk.go).
func (fr *fastReader) heapTimers(l *layout) ([]uint64, timerHeapOffsets) {
	allp, ok := l.syms["runtime.allp"]
	if !ok {
		return nil, timerHeapOffsets{}
	}
	o, ok := l.timerHeap()
	if !ok {
		return nil, o
	}
	ps, n, err := fr.mem.slice(allp.Value)
	if err != nil || n > maxPs {
		return nil, o
	}
	type timerHeap struct{ at, n uint64 }
	var heaps []timerHeap
	total := uint64(0)
	for i := range n {
		p, err := fr.mem.u64(ps + 8*i)
		if err != nil || p == 0 {
			continue
		}
		heap, m, err := fr.mem.slice(p + uint64(o.pHeap))
		if err != nil || m > maxHeapTimers {
			continue
		}
		heaps = append(heaps, timerHeap{heap, m})
		total += m
	}
	// Room for the timers made once, not grown through a million
	// appends; a damaged allp can list a thousand heaps of a million
	// timers each, so room past one heap's bound is grown into as
	// readable timers are found.
	ts := make([]uint64, 0, min(total, maxHeapTimers))
	var buf []byte
	for _, h := range heaps {
		ts, buf = fr.appendHeapTimers(ts, buf, h.at, h.n, o)
	}
	slices.Sort(ts)
	return ts, o
}

// heapTimersRead is what readHeapTimers read.
type heapTimersRead struct {
	timers  []uint64
	offsets timerHeapOffsets
}

// readHeapTimers reads the Ps' timer heaps (heapTimers) on a goroutine
// of its own, through a reader of the core's memory of its own: the
// census reads the goroutine list meanwhile. A million goroutines' list
// and timer heaps (8 MB and 16 MB) each take a tenth of a second to read.
func readHeapTimers(cf io.ReaderAt, info *elfcore.Core, ef *elf.File, l *layout) <-chan heapTimersRead {
	out := make(chan heapTimersRead, 1)
	go func() {
		mem := newCoreMem(cf, info)
		defer mem.close()
		mem.addExecutable(ef)
		fr := &fastReader{mem: mem}
		ts, o := fr.heapTimers(l)
		out <- heapTimersRead{ts, o}
	}()
	return out
}

// heapTimersChunk is how many bytes of a timer heap are read at once, at
// most: the entries are read in place where a lent frame holds them, else
// copied through a buffer of this size. A buffer the size of a large
// heap (a million timers take 16 MiB) made the census thread assist the
// garbage collector for a tenth of a second.
const heapTimersChunk = 64 << 10

// appendHeapTimers appends the timers of the m entries of the timer heap
// at heap to ts, reading through buf (grown as needed and returned). A
// piece that cannot be read is read entry by entry, so that one missing
// page loses only the timers on it.
func (fr *fastReader) appendHeapTimers(ts []uint64, buf []byte, heap, m uint64, o timerHeapOffsets) ([]uint64, []byte) {
	size := uint64(o.whenSize)
	per := max(1, heapTimersChunk/size) // entries a piece
	for j := uint64(0); j < m; j += per {
		k := min(m-j, per)
		b, ok := fr.mem.peek(heap+j*size, k*size)
		if !ok {
			if uint64(cap(buf)) < k*size {
				buf = make([]byte, per*size)
			}
			b = buf[:k*size]
			ok = fr.mem.read(b, heap+j*size) == nil
		}
		if !ok {
			for e := range k {
				if t, err := fr.mem.u64(heap + (j+e)*size + uint64(o.whenTimer)); err == nil && t != 0 {
					ts = append(ts, t)
				}
			}
			continue
		}
		for e := range k {
			if t := binary.LittleEndian.Uint64(b[e*size+uint64(o.whenTimer):]); t != 0 {
				ts = append(ts, t)
			}
		}
	}
	return ts, buf
}

// chanTimer reads the timer at t, laid out as o says, and, when it feeds a
// channel (its function is time.sendTime), records the channel's period
// in fr.heapChans. sendTime caches, per func value, whether it is
// time.sendTime: the func values are a program's few static closures,
// in the executable's read-only data rather than the core, and a read
// there is a system call.
func (fr *fastReader) chanTimer(o timerHeapOffsets, t uint64, sendTime map[uint64]bool) {
	fn, err1 := fr.mem.u64(t + uint64(o.f))
	ch, err2 := fr.mem.u64(t + uint64(o.arg) + 8) // the any's data word
	period, err3 := fr.mem.u64(t + uint64(o.period))
	if err1 != nil || err2 != nil || err3 != nil || fn == 0 || ch == 0 || int64(period) < 0 {
		return
	}
	is, seen := sendTime[fn]
	if !seen {
		pc, err := fr.mem.u64(fn) // a func value points at its code pointer
		is = err == nil && fr.sym.funcAt(pc) == "time.sendTime"
		sendTime[fn] = is
	}
	if is {
		fr.heapChans = append(fr.heapChans, heapChan{ch, int64(period)})
	}
}

// heapChan is a channel a pending timer feeds, and the timer's period.
type heapChan struct {
	ch     uint64
	period int64
}
