package coredump

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

// markTimers sets Goroutine.Timer on the goroutines one of whose channels
// is fed by a runtime timer (hchan.timer, set for every time.Timer and
// time.Ticker channel since Go 1.23). chans[x] are out[x]'s channels.
// Channels, then timers, are read in address order, like the rest of the
// batch.
func (fr *fastReader) markTimers(out []goroutines.Goroutine, chans [][]uint64) {
	if !fr.timerChans {
		return
	}
	var all []uint64
	for _, cs := range chans {
		all = append(all, cs...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	timerOf := map[uint64]uint64{}
	for _, c := range all {
		if t, err := fr.mem.u64(c + uint64(fr.hchanTimer)); err == nil && t != 0 {
			timerOf[c] = t
		}
	}
	if len(timerOf) == 0 {
		return
	}
	timers := make([]uint64, 0, len(timerOf))
	for _, t := range timerOf {
		timers = append(timers, t)
	}
	slices.Sort(timers)
	timers = slices.Compact(timers)
	period := map[uint64]int64{}
	for _, t := range timers {
		if p, err := fr.mem.u64(t + uint64(fr.timerPeriod)); err == nil {
			period[t] = int64(p)
		}
	}
	for x, cs := range chans {
		for _, c := range cs {
			t, ok := timerOf[c]
			if !ok {
				continue
			}
			p, ok := period[t]
			if !ok || p < 0 {
				continue
			}
			// A select on several timers: the shortest period speaks for it.
			if cur := out[x].Timer; cur == nil || p > 0 && (cur.PeriodNanos == 0 || p < cur.PeriodNanos) {
				out[x].Timer = &goroutines.Timer{PeriodNanos: p}
			}
		}
	}
}
