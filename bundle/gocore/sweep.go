package gocore

import "container/heap"

// sweepItem is a read the stack sweep has still to make: goroutine x's
// stack, or its first sudog, at addr.
type sweepItem struct {
	addr  uint64
	x     int
	sudog bool
}

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
		heap.Push(&q.next, e)
		return
	}
	heap.Push(&q.cur, e)
}

// pop returns the next read; false when none is left.
func (q *sweepQueue) pop() (sweepItem, bool) {
	if q.cur.Len() == 0 {
		q.cur, q.next, q.pos = q.next, q.cur[:0], 0
	}
	if q.cur.Len() == 0 {
		return sweepItem{}, false
	}
	e := heap.Pop(&q.cur).(sweepEntry)
	q.pos = max(q.pos, e.addr)
	return e.sweepItem, true
}

type sweepEntry struct {
	sweepItem
	seq int
}

// sweepHeap is a min-heap of reads by address, then push order.
type sweepHeap []sweepEntry

func (h sweepHeap) Len() int { return len(h) }
func (h sweepHeap) Less(i, j int) bool {
	if h[i].addr != h[j].addr {
		return h[i].addr < h[j].addr
	}
	return h[i].seq < h[j].seq
}
func (h sweepHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *sweepHeap) Push(x any)   { *h = append(*h, x.(sweepEntry)) }
func (h *sweepHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
