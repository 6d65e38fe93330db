package gocore

// sweepItem is a read a sweep has still to make, at addr.
type sweepItem struct {
	addr uint64
	kind sweepKind
	// x is the goroutine's allgs index (gStruct, stack, chanSudog), the
	// timer's index (timer) or the node's depth (treapNode).
	x int
	// elem is the semaphore a semaWaiter waits on.
	elem uint64
}

// sweepKind says what a sweep reads at an item's address.
type sweepKind uint8

// The reads of the first sweep (g structs, the Ps' timers, the semaphore
// tables' sudogs) and of the second (stacks, channel waiters' sudogs).
const (
	gStruct sweepKind = iota
	timer
	treapNode
	semaWaiter
	stack
	chanSudog
)

// sweepSlack is how far behind the sweep's position a read may lie and
// still be made in the current sweep: half of bundle's memberCacheBytes
// (16 frames of 4 MiB), so the frames it needs are most likely still
// decoded. A read further behind waits for the next sweep.
const sweepSlack = 32 << 20

// sweepQueue hands out reads in address order, sweep after sweep: a read
// pushed behind the current position (less sweepSlack) goes to the next
// sweep, which starts again from the lowest address once the current one
// is done. Ties come out in the order they were pushed.
type sweepQueue struct {
	cur, next sweepHeap
	pos       uint64
	seq       int
}

func (q *sweepQueue) push(it sweepItem) {
	q.seq++
	e := sweepEntry{it, q.seq}
	if it.addr+sweepSlack < q.pos {
		q.next.push(e)
		return
	}
	q.cur.push(e)
}

// pop returns the next read; false when none is left.
func (q *sweepQueue) pop() (sweepItem, bool) {
	if len(q.cur) == 0 {
		q.cur, q.next, q.pos = q.next, q.cur[:0], 0
	}
	if len(q.cur) == 0 {
		return sweepItem{}, false
	}
	e := q.cur.pop()
	q.pos = max(q.pos, e.addr)
	return e.sweepItem, true
}

type sweepEntry struct {
	sweepItem
	seq int
}

// sweepHeap is a binary min-heap of reads by address, then push order
// (written out rather than through container/heap, whose any-typed Push
// and Pop allocate for each of a million reads).
type sweepHeap []sweepEntry

func (h sweepHeap) less(i, j int) bool {
	if h[i].addr != h[j].addr {
		return h[i].addr < h[j].addr
	}
	return h[i].seq < h[j].seq
}

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
