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
	for s := sudog; s != 0 && len(out) < maxSelectCases; {
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
	semaphore bool  // buffered, zero-size elements
	timer     bool  // fed by a runtime timer
	period    int64 // the timer's period; 0 for one-shot timers
}

// markChans reads the channels the census's goroutines wait on, in address
// order, and marks the goroutines: Timer on those one of whose channels a
// runtime timer feeds (hchan.timer, set for every synchronous time.Timer
// and time.Ticker channel since Go 1.23, or a pending timer in the Ps'
// heaps sending to it), Semaphore on senders blocked on a buffered
// chan struct{}. chans[x] are out[x]'s channels.
func (fr *fastReader) markChans(out []goroutines.Goroutine, chans [][]uint64) {
	if !fr.hasChans {
		return
	}
	var all []uint64
	for _, cs := range chans {
		all = append(all, cs...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	o := fr.chans
	info := make(map[uint64]*chanInfo, len(all))
	timerOf := map[uint64]uint64{}
	for _, c := range all {
		ci := &chanInfo{}
		q, err1 := fr.mem.u64(c + uint64(o.dataqsiz))
		e, err2 := fr.mem.u64(c + uint64(o.elemsize))
		if err1 != nil || err2 != nil {
			continue
		}
		ci.semaphore = q > 0 && uint16(e) == 0
		if o.timer >= 0 {
			if t, err := fr.mem.u64(c + uint64(o.timer)); err == nil && t != 0 {
				timerOf[c] = t
			}
		}
		info[c] = ci
	}
	timers := make([]uint64, 0, len(timerOf))
	for _, t := range timerOf {
		timers = append(timers, t)
	}
	slices.Sort(timers)
	timers = slices.Compact(timers)
	period := map[uint64]int64{}
	for _, t := range timers {
		if p, err := fr.mem.u64(t + uint64(o.period)); err == nil && int64(p) >= 0 {
			period[t] = int64(p)
		}
	}
	for c, t := range timerOf {
		if p, ok := period[t]; ok {
			info[c].timer, info[c].period = true, p
		}
	}
	for c, ci := range info {
		if p, ok := fr.heapChans[c]; ok && !ci.timer {
			ci.timer, ci.period = true, p // an asynchronous timer channel
		}
	}
	for x, cs := range chans {
		g := &out[x]
		for _, c := range cs {
			ci := info[c]
			if ci == nil {
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
