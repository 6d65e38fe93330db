package gocore

import (
	"cmp"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSweepQueue: reads come out in address order; one pushed behind the
// current position by more than sweepSlack waits for the next sweep, one
// within the slack joins the current sweep, and equal addresses keep
// their push order.
func TestSweepQueue(t *testing.T) {
	var q sweepQueue
	for x, a := range []uint64{5 << 30, 1 << 30, 3 << 30, 3 << 30} {
		q.push(sweepItem{addr: a, x: x})
	}
	var got []int
	pop := func() {
		it, ok := q.pop()
		if !ok {
			t.Fatal("queue empty too early")
		}
		got = append(got, it.x)
	}
	pop() // 1 GiB
	pop() // 3 GiB, pushed first
	// Behind the position by far more than the slack: next sweep.
	q.push(sweepItem{addr: 2 << 30, x: 10, kind: chanSudog})
	// Behind by less than the slack: this sweep, at once.
	q.push(sweepItem{addr: 3<<30 - sweepSlack/2, x: 11, kind: chanSudog})
	// Ahead: this sweep, in order.
	q.push(sweepItem{addr: 4 << 30, x: 12, kind: chanSudog})
	for range 5 {
		pop()
	}
	if _, ok := q.pop(); ok {
		t.Fatal("queue not empty")
	}
	want := []int{1, 2, 11, 3, 12, 0, 10}
	if len(got) != len(want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}

// TestGRecords: a g record holds each field's bytes at its slot, and
// fields the layout lacks (-1) or places past the struct's end read as
// zero rather than out of bounds.
func TestGRecords(t *testing.T) {
	o := &gOffsets{goid: 152, status: 144, schedSP: 56, schedPC: 64, schedBP: 104, stackLo: 0, stackHi: 8,
		waitReason: 175, waitSince: 160, gopc: 280, startpc: 288, waiting: 200, labels: 296, panic: 32, sig: -1, size: 300}
	g := make([]byte, o.size)
	for i := range g {
		g[i] = byte(i)
	}
	r := newGRecords(o)
	rec := make([]byte, r.offsets.size)
	r.copyFrom(rec, g)
	if r.offsets.sig != -1 {
		t.Errorf("absent field sig at %d", r.offsets.sig)
	}
	for _, f := range []struct {
		name     string
		src, dst int64
	}{{"goid", o.goid, r.offsets.goid}, {"schedSP", o.schedSP, r.offsets.schedSP}, {"waitReason", o.waitReason, r.offsets.waitReason}, {"panic", o.panic, r.offsets.panic}} {
		if got, want := binary.LittleEndian.Uint64(rec[f.dst:]), binary.LittleEndian.Uint64(g[f.src:]); got != want {
			t.Errorf("%s: record has %#x, g has %#x", f.name, got, want)
		}
	}
	// labels at 296 has 4 bytes left in a 300-byte g: the rest is zero.
	if got, want := binary.LittleEndian.Uint64(rec[r.offsets.labels:]), uint64(binary.LittleEndian.Uint32(g[296:])); got != want {
		t.Errorf("labels at the struct's end: record has %#x, want %#x", got, want)
	}
	o.labels = 400 // past the end: zero, no panic
	r = newGRecords(o)
	r.copyFrom(rec, g)
	if v := binary.LittleEndian.Uint64(rec[r.offsets.labels:]); v != 0 {
		t.Errorf("field past the end reads %#x", v)
	}
}

// heapOnlyQueue is sweepQueue without its sorted base: every read not
// near the position goes through the heaps, as the queue first worked.
// The two must hand out the same reads in the same order.
type heapOnlyQueue struct {
	cur, next sweepHeap
	now       []sweepItem
	started   bool
	pos       uint64
	seq       int
}

func (q *heapOnlyQueue) push(it sweepItem) {
	q.seq++
	switch {
	case q.started && it.addr+nearBehind >= q.pos && it.addr <= q.pos+nearAhead:
		q.now = append(q.now, it)
	case it.addr+sweepSlack < q.pos:
		q.next.push(sweepEntry{it, q.seq})
	default:
		q.cur.push(sweepEntry{it, q.seq})
	}
}

func (q *heapOnlyQueue) pop() (sweepItem, bool) {
	q.started = true
	if n := len(q.now); n > 0 {
		it := q.now[n-1]
		q.now = q.now[:n-1]
		return it, true
	}
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

// TestSweepQueueMatchesHeap: with many reads pushed up front (repeated
// addresses among them) and more pushed while popping, some behind the
// position, the sorted base hands out exactly what the heaps alone did.
func TestSweepQueueMatchesHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		var q sweepQueue
		var ref heapOnlyQueue
		addr := func() uint64 { return uint64(rng.IntN(64)) * sweepSlack / 4 }
		n := rng.IntN(2000)
		q.reserve(n)
		for x := range n {
			it := sweepItem{addr: addr(), x: x}
			if rng.IntN(8) == 0 { // one that does not pack into a baseRead
				it.kind, it.elem = semaWaiter, uint64(rng.IntN(1<<20))
			}
			q.push(it)
			ref.push(it)
		}
		for k := 0; ; k++ {
			got, ok1 := q.pop()
			want, ok2 := ref.pop()
			if got != want || ok1 != ok2 {
				t.Fatalf("round %d, pop %d: got %+v %v, want %+v %v", round, k, got, ok1, want, ok2)
			}
			if !ok1 {
				break
			}
			for range rng.IntN(3) {
				it := sweepItem{addr: addr(), x: -k, kind: chanSudog}
				q.push(it)
				ref.push(it)
			}
			if k > 10*n {
				break
			}
		}
	}
}

// TestSortBase: the radix sort of a large base orders reads as the
// comparison sort does (by address, then push order), with duplicate
// addresses, addresses spread over a wide range and a common alignment.
func TestSortBase(t *testing.T) {
	for _, spread := range []uint64{1 << 12, 1 << 34, 1 << 46} {
		r := rand.New(rand.NewPCG(1, spread))
		n := 3 * radixSortMin
		base := make([]baseRead, n)
		for i := range base {
			a := 0xc000000000 + r.Uint64N(spread)&^7
			if i > 0 && r.IntN(8) == 0 {
				a = base[r.IntN(i)].addr // a duplicate, pushed later
			}
			base[i] = baseRead{addr: a, ref: uint64(i)}
		}
		want := slices.Clone(base)
		slices.SortFunc(want, func(a, b baseRead) int { return cmp.Or(cmp.Compare(a.addr, b.addr), cmp.Compare(a.ref, b.ref)) })
		got := sortBase(slices.Clone(base))
		if !slices.Equal(got, want) {
			t.Fatalf("spread %#x: radix order differs from the comparison sort's", spread)
		}
	}
}

// BenchmarkSortBase sorts a million reads at heap addresses spread over
// 4 GiB, the way a million goroutines' g structs lie.
func BenchmarkSortBase(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	base := make([]baseRead, 1<<20)
	for i := range base {
		base[i] = baseRead{addr: 0xc000000000 + r.Uint64N(4<<30)&^7, ref: uint64(i)}
	}
	work := make([]baseRead, len(base))
	b.Run("radix", func(b *testing.B) {
		for b.Loop() {
			copy(work, base)
			sortBase(work)
		}
	})
	b.Run("compare", func(b *testing.B) {
		for b.Loop() {
			copy(work, base)
			slices.SortStableFunc(work, func(a, b baseRead) int { return cmp.Compare(a.addr, b.addr) })
		}
	})
}
