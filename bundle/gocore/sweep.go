package gocore

import (
	"cmp"

	"github.com/coroner/coroner/internal/hugepages"
)

// sweepItem is a read a sweep has still to make, at addr.
type sweepItem struct {
	addr uint64
	kind sweepKind
	// x is the goroutine's allgs index (gStruct, stack, semaSudog,
	// chanSudog), the timer's index (timer) or the node's depth
	// (treapNode).
	x int
	// elem is the semaphore a semaWaiter waits on, the channel whose
	// timer a chanTimerPeriod reads, or the slot of the g record a stack
	// read decodes with (walk.go).
	elem uint64
}

// sweepKind says what a sweep reads at an item's address.
type sweepKind uint8

// The reads of a sweep (walk.go): g structs, the Ps' timers, semaphore
// waiters' sudogs (a chain's links before Go 1.26, a waiter's own after),
// stacks, channel waiters' sudogs, the channels they name and those
// channels' timers; and of the semaphore treaps' walk before it.
const (
	gStruct sweepKind = iota
	timer
	treapNode
	semaWaiter
	semaSudog
	stack
	chanSudog
	chanHeader
	chanTimerPeriod
)

// sweepSlack is how far behind the sweep's position a read may lie and
// still be made in the current sweep: half of the frames bundle keeps of
// a core read from an object store (remoteMemberCacheBytes, 16 frames of
// 4 MiB), so the frames it needs are most likely still decoded rather
// than fetched again. A read further behind waits for the next sweep. A
// core in a local archive keeps fewer frames, as decoding one again
// costs no request.
const sweepSlack = 32 << 20

// How close to the sweep's position a read may lie to be made at once,
// out of order (near): the frames there are decoded already, or next. A
// core's archive frame holds 4 MiB (bundle's frameBlock); the sweep's
// last two frames behind its position are surely still kept, and the
// frame ahead of it is the next it decodes.
const (
	nearBehind = 8 << 20
	nearAhead  = 4 << 20
)

// sweepQueue hands out reads in address order, sweep after sweep: a read
// pushed behind the current position (less sweepSlack) goes to the next
// sweep, which starts again from the lowest address once the current one
// is done. Ties come out in the order they were pushed.
//
// The reads pushed before the first pop (a million g structs or timers)
// are sorted once into base rather than sifted through the heap one by
// one. A read found while sweeping (a stack, a sudog, a channel) that
// lies near the sweep's position is made next, out of order, last found
// first (near); the others go through the heap. A stack mostly lies near
// its g, and a sudog near its goroutine's g, so few reads take the heap.
type sweepQueue struct {
	base []baseRead
	// extra are the reads of base that do not pack into a baseRead.
	extra     []sweepItem
	next      int // base[next] is the next read of base
	started   bool
	now       []sweepItem // near reads, made before any other
	cur, over sweepHeap   // over is the next sweep's
	pos       uint64
	seq       int
}

// baseRead is a read pushed before the first pop, packed into 16 bytes
// where a sweepEntry takes 40: the reads of a million goroutines and
// their timers are sorted once, and their room and the sort's scratch
// are fresh memory, faulted in as it is first written. Their push order
// is their order in base, which the sort keeps among equal addresses.
type baseRead struct {
	addr uint64
	// ref is the read's kind in its top byte and its x below, or
	// refExtra and the read's index in sweepQueue.extra for one with an
	// elem or an x that does not fit.
	ref uint64
}

// How a baseRead's ref packs a sweepItem's kind and x.
const (
	refKindShift = 56
	refXMask     = 1<<refKindShift - 1
	refExtra     = 0xff // a kind no read has
)

// reserve makes room for n reads pushed before the first pop. The room
// is made, not grown into with slices.Grow: Grow's append of a made
// slice clears the new room, and a million reads' room (tens of MB) then
// took a fifth of a second of page faults at 4 KiB each, before the
// huge-page advice that follows could apply. Memory fresh from the
// system needs no clearing.
func (q *sweepQueue) reserve(n int) {
	if q.started || cap(q.base)-len(q.base) >= n {
		return
	}
	base := make([]baseRead, len(q.base), len(q.base)+n)
	hugepages.Advise(base)
	copy(base, q.base)
	q.base = base
}

func (q *sweepQueue) push(it sweepItem) {
	q.seq++
	switch {
	case !q.started && it.elem == 0 && it.x >= 0 && uint64(it.x) <= refXMask:
		q.base = append(q.base, baseRead{it.addr, uint64(it.kind)<<refKindShift | uint64(it.x)})
	case !q.started:
		q.base = append(q.base, baseRead{it.addr, refExtra<<refKindShift | uint64(len(q.extra))})
		q.extra = append(q.extra, it)
	case q.near(it.addr):
		q.now = append(q.now, it)
	case it.addr+sweepSlack < q.pos:
		q.over.push(sweepEntry{it, q.seq})
	default:
		q.cur.push(sweepEntry{it, q.seq})
	}
}

// item unpacks a read of base.
func (q *sweepQueue) item(b baseRead) sweepItem {
	kind, x := b.ref>>refKindShift, b.ref&refXMask
	if kind == refExtra {
		return q.extra[x]
	}
	return sweepItem{addr: b.addr, kind: sweepKind(kind), x: int(x)}
}

// near reports whether a read at addr lies close enough to the sweep's
// position to be made at once rather than in order: ordering it gains
// nothing, and a million stacks and sudogs, each found as a g is read,
// would cost millions of heap insertions.
func (q *sweepQueue) near(addr uint64) bool {
	return q.started && addr+nearBehind >= q.pos && addr <= q.pos+nearAhead
}

// pop returns the next read; false when none is left.
func (q *sweepQueue) pop() (sweepItem, bool) {
	if !q.started {
		q.started = true
		q.base = sortBase(q.base)
	}
	if n := len(q.now); n > 0 {
		it := q.now[n-1]
		q.now = q.now[:n-1]
		return it, true
	}
	if q.next == len(q.base) && len(q.cur) == 0 {
		q.base, q.extra, q.next = nil, nil, 0
		q.cur, q.over, q.pos = q.over, q.cur[:0], 0
	}
	var it sweepItem
	switch {
	// Every read of base was pushed before any of the heap's, so of
	// equal addresses base's comes first.
	case q.next < len(q.base) && (len(q.cur) == 0 || q.base[q.next].addr <= q.cur[0].addr):
		it = q.item(q.base[q.next])
		q.next++
	case len(q.cur) > 0:
		it = q.cur.pop().sweepItem
	default:
		return sweepItem{}, false
	}
	q.pos = max(q.pos, it.addr)
	return it, true
}

type sweepEntry struct {
	sweepItem
	seq int
}

// compare orders reads by address, then push order.
func (e sweepEntry) compare(f sweepEntry) int {
	if c := cmp.Compare(e.addr, f.addr); c != 0 {
		return c
	}
	return cmp.Compare(e.seq, f.seq)
}

// sweepHeap is a binary min-heap of reads by address, then push order
// (written out rather than through container/heap, whose any-typed Push
// and Pop allocate for each of a million reads).
type sweepHeap []sweepEntry

func (h sweepHeap) less(i, j int) bool { return h[i].compare(h[j]) < 0 }

func (h *sweepHeap) push(e sweepEntry) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *sweepHeap) pop() sweepEntry {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(s) && s.less(l, m) {
			m = l
		}
		if r := l + 1; r < len(s) && s.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
