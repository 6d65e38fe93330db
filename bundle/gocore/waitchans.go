package gocore

import (
	"slices"

	"github.com/coroner/coroner/bundle/goroutines"
)

// maxSelectCases bounds how many sudogs of one goroutine's wait list are
// followed: a select enqueues one sudog per case, linked through
// sudog.waitlink; hand-written selects have a handful of cases, and a
// longer list (reflect.Select) is left partly unread so a damaged link
// cannot make the census read without end.
const maxSelectCases = 16

// waitChans follows a goroutine's sudog list from g.waiting and returns
// the channels it waits on: one for a channel operation, one per case
// for a select (in the runtime's lock order, so the lowest address
// first).
func (fr *fastReader) waitChans(sudog uint64) []uint64 {
	var out []uint64
	// Bounded by the sudogs followed, not the channels found: a damaged
	// or stale list whose sudogs name no channel could cycle forever.
	for s, n := sudog, 0; s != 0 && n < maxSelectCases; n++ {
		c, err := fr.mem.u64(s + uint64(fr.o.sudogC))
		if err != nil {
			break
		}
		if c != 0 {
			out = append(out, c)
		}
		if s, err = fr.mem.u64(s + uint64(fr.o.sudogWaitlink)); err != nil {
			break
		}
	}
	return out
}

// chanInfo is what the census reads of one channel.
type chanInfo struct {
	read      bool  // its header was read
	semaphore bool  // buffered, zero-size elements
	timer     bool  // fed by a runtime timer
	period    int64 // the timer's period; 0 for one-shot timers
}

// chanReads holds the channels goroutines wait on, each read once in the
// sweep, in address order with the g structs, stacks and sudogs: a million
// goroutines waiting in selects on their own time.After channels name a
// million channels (and timers) spread over the heap, which a pass of
// their own would decode once more.
type chanReads struct {
	info map[uint64]*chanInfo // queued or read, by channel address
}

// queueChans queues the header reads of the channels cs not yet queued.
func (fr *fastReader) queueChans(cr *chanReads, q *sweepQueue, cs []uint64) {
	if !fr.hasChans {
		return
	}
	if cr.info == nil {
		cr.info = map[uint64]*chanInfo{}
	}
	for _, c := range cs {
		if cr.info[c] == nil {
			cr.info[c] = &chanInfo{}
			q.push(sweepItem{addr: c, kind: chanHeader})
		}
	}
}

// chanHeader reads the channel at c: whether it is a semaphore, and its
// timer (hchan.timer, set for every synchronous time.Timer and
// time.Ticker channel since Go 1.23), whose period it queues for reading
// (a timer mostly lies near its channel, so the read is made at once).
func (fr *fastReader) chanHeader(cr *chanReads, q *sweepQueue, c uint64) {
	o := fr.chans
	ci := cr.info[c]
	qs, err1 := fr.mem.u64(c + uint64(o.dataqsiz))
	e, err2 := fr.mem.u64(c + uint64(o.elemsize))
	if err1 != nil || err2 != nil {
		return
	}
	ci.read, ci.semaphore = true, qs > 0 && uint16(e) == 0
	if o.timer < 0 {
		return
	}
	t, err := fr.mem.u64(c + uint64(o.timer))
	if err != nil || t == 0 {
		return
	}
	q.push(sweepItem{addr: t, kind: chanTimerPeriod, elem: c})
}

// chanTimerPeriod reads the period of the timer at t that feeds channel c.
func (fr *fastReader) chanTimerPeriod(cr *chanReads, t, c uint64) {
	if p, err := fr.mem.u64(t + uint64(fr.chans.period)); err == nil {
		cr.info[c].setPeriod(p)
	}
}

// setPeriod marks the channel fed by a timer of period p, read as a
// runtime.timer's period field; a negative one is damage, not a timer.
func (ci *chanInfo) setPeriod(p uint64) {
	if int64(p) >= 0 {
		ci.timer, ci.period = true, int64(p)
	}
}

// markChans marks the census's goroutines from the channels they wait on,
// as chanReads read them: Timer on those one of whose channels a runtime
// timer feeds (hchan.timer, or a pending timer in the Ps' heaps sending to
// it), Semaphore on senders blocked on a buffered chan struct{}. chans[x]
// are out[x]'s channels.
func (fr *fastReader) markChans(out []goroutines.Goroutine, chans [][]uint64, cr chanReads) {
	info := cr.info
	// An asynchronous timer channel. Of several pending timers feeding
	// one channel, the one read last speaks for it: the list is walked
	// from its end, and the first found marks the channel.
	for _, hc := range slices.Backward(fr.heapChans) {
		if ci := info[hc.ch]; ci != nil && ci.read && !ci.timer {
			ci.timer, ci.period = true, hc.period
		}
	}
	for x, cs := range chans {
		g := &out[x]
		for _, c := range cs {
			ci := info[c]
			if ci == nil || !ci.read {
				continue
			}
			if ci.semaphore && g.Status == "waiting" && g.WaitReason == "chan send" {
				g.Semaphore = true
			}
			// A select on several timers: the shortest period speaks for it.
			if ci.timer && (g.Timer == nil || ci.period > 0 && (g.Timer.PeriodNanos == 0 || ci.period < g.Timer.PeriodNanos)) {
				g.Timer = &goroutines.Timer{PeriodNanos: ci.period}
			}
		}
	}
}
