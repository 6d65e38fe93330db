package gocore

import "slices"

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
	var ts []uint64
	for i := range n {
		p, err := fr.mem.u64(ps + 8*i)
		if err != nil || p == 0 {
			continue
		}
		heap, m, err := fr.mem.slice(p + uint64(o.pHeap))
		if err != nil || m > maxHeapTimers {
			continue
		}
		for j := range m {
			t, err := fr.mem.u64(heap + j*uint64(o.whenSize) + uint64(o.whenTimer))
			if err == nil && t != 0 {
				ts = append(ts, t)
			}
		}
	}
	slices.Sort(ts)
	return ts, o
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
		fr.heapChans[ch] = int64(period)
	}
}
