package gocore

import (
	"slices"

	"github.com/go-delve/delve/pkg/goversion"
)

// The runtime's semaphore tables (runtime.semtable) say which goroutine
// waits on which sync.Mutex, RWMutex or WaitGroup: each of the semTabSize
// roots holds a treap of sudogs, one per semaphore address, with further
// waiters on the same address chained by waitlink. The census reads the
// treaps before its sweep (walk.go): their nodes are the contended
// semaphores, which the held-lock scan of every stack needs, and there
// are few of them. Which goroutine waits on which semaphore it reads in
// the sweep. From Go 1.26 on, semaRoot.queue also stores a waiter's sudog
// in g.waiting (for the goroutine leak detector; runtime/sema.go), so the
// sweep reads each waiter's sudog with its stack (semaSudog). Before, the
// sweep follows each semaphore's chain of waiters link by link
// (semaWaiter): a queue of a million waiters is a chain of sudogs spread
// over the whole heap, in no order a sweep can serve.

// maxTreapDepth bounds the descent into a semaphore treap: a balanced
// treap of a million waiters is about 40 deep, so a deeper one is damaged.
const maxTreapDepth = 256

// semaWaitReasons are the wait reasons of goroutines parked in the
// runtime's semacquire1, on a semaphore of the tables (runtime/sema.go's
// callers; the names of runtime2.go's waitReasonStrings).
var semaWaitReasons = map[string]bool{
	"semacquire":                    true,
	"sync.Mutex.Lock":               true,
	"sync.RWMutex.RLock":            true,
	"sync.RWMutex.Lock":             true,
	"sync.WaitGroup.Wait":           true,
	"sync.WaitGroup.Wait (durable)": true,
}

// semaInG reports whether the runtime of Go version v keeps a semaphore
// waiter's sudog in g.waiting.
func semaInG(v goversion.GoVersion) bool {
	return v.AfterOrEqual(goversion.GoVersion{Major: 1, Minor: 26})
}

// semaWalk collects the semaphore waiters, reading at most maxSemaNodes
// sudogs.
type semaWalk struct {
	// heads are the treaps' nodes: each the first waiter of its
	// semaphore's chain.
	heads []semaHead
	// waiters maps each waiting g to its semaphore's address, as the
	// chains are followed.
	waiters map[uint64]uint64
	// chains is set when the sweep follows the chains (before Go 1.26).
	chains bool
	budget int
}

// semaHead is a treap node: the sudog at node, first waiter on the
// semaphore at elem.
type semaHead struct{ node, elem uint64 }

// semaTreaps reads the nodes of the semaphore table's treaps, in address
// order.
func (fr *fastReader) semaTreaps(l *layout) *semaWalk {
	sw := &semaWalk{waiters: map[uint64]uint64{}, chains: !semaInG(fr.gover), budget: maxSemaNodes}
	s, ok := l.syms["runtime.semtable"]
	if !ok || s.Size == 0 || s.Size%semTabSize != 0 {
		return sw
	}
	var q sweepQueue
	stride := s.Size / semTabSize
	for i := uint64(0); i < semTabSize; i++ {
		root, err := fr.mem.u64(s.Value + i*stride + uint64(fr.o.semaTreap))
		if err == nil && root != 0 {
			q.push(sweepItem{addr: root, kind: treapNode})
		}
	}
	for {
		it, more := q.pop()
		if !more {
			return sw
		}
		fr.treapNode(sw, &q, it.addr, it.x)
	}
}

// semaphores returns the addresses of the semaphores with waiters.
func (sw *semaWalk) semaphores() []uint64 {
	out := make([]uint64, 0, len(sw.heads))
	for _, h := range sw.heads {
		out = append(out, h.elem)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// queueChains queues the first waiter of each semaphore for the sweep,
// when it follows the chains.
func (sw *semaWalk) queueChains(q *sweepQueue) {
	if !sw.chains {
		return
	}
	for _, h := range sw.heads {
		q.push(sweepItem{addr: h.node, kind: semaWaiter, elem: h.elem})
	}
}

// treapNode reads the treap node (a sudog) at node, depth levels down:
// its semaphore and its children.
func (fr *fastReader) treapNode(sw *semaWalk, q *sweepQueue, node uint64, depth int) {
	if depth > maxTreapDepth || sw.budget <= 0 {
		return
	}
	sw.budget--
	o := fr.o
	elem, err1 := fr.mem.u64(node + uint64(o.sudogElem))
	prev, err2 := fr.mem.u64(node + uint64(o.sudogPrev))
	next, err3 := fr.mem.u64(node + uint64(o.sudogNext))
	if err1 != nil || err2 != nil || err3 != nil {
		return
	}
	sw.heads = append(sw.heads, semaHead{node, elem})
	for _, child := range []uint64{prev, next} {
		if child != 0 {
			q.push(sweepItem{addr: child, kind: treapNode, x: depth + 1})
		}
	}
}

// semaWaiter records the waiter whose sudog is at w, on the semaphore at
// elem, and queues the next waiter of its chain.
func (fr *fastReader) semaWaiter(sw *semaWalk, q *sweepQueue, w, elem uint64) {
	if sw.budget <= 0 {
		return
	}
	sw.budget--
	g, err := fr.mem.u64(w + uint64(fr.o.sudogG))
	if err != nil {
		return
	}
	sw.waiters[g] = elem
	if next, err := fr.mem.u64(w + uint64(fr.o.sudogWaitlink)); err == nil && next != 0 {
		q.push(sweepItem{addr: next, kind: semaWaiter, elem: elem})
	}
}

// semaSudog reads the sudog at s that the goroutine at gp queued on a
// semaphore (its g.waiting, from Go 1.26 on) and returns the sudog's
// elem, the semaphore; 0 for a sudog naming another goroutine, which is
// stale.
func (fr *fastReader) semaSudog(gp, s uint64) uint64 {
	g, err1 := fr.mem.u64(s + uint64(fr.o.sudogG))
	elem, err2 := fr.mem.u64(s + uint64(fr.o.sudogElem))
	if err1 != nil || err2 != nil || g != gp {
		return 0
	}
	return elem
}
