package gocore

// The runtime's semaphore tables (runtime.semtable) say which goroutine
// waits on which sync.Mutex, RWMutex or WaitGroup: each of the semTabSize
// roots holds a treap of sudogs, one per semaphore address, with further
// waiters on the same address chained by waitlink. The census walks them
// in its first sweep (walk.go), each sudog a read of the sweep: a queue of
// a million waiters is a chain of sudogs spread over the whole heap,
// mostly in allocation order, which a walk of its own would pass over the
// core once more.

// maxTreapDepth bounds the descent into a semaphore treap: a balanced
// treap of a million waiters is about 40 deep, so a deeper one is damaged.
const maxTreapDepth = 256

// semaWalk collects the semaphore waiters: it maps each waiting g to the
// semaphore's address (inside the lock the goroutine waits on), reading
// at most maxSemaNodes sudogs.
type semaWalk struct {
	waiters map[uint64]uint64
	budget  int
}

// semaRoots starts the walk: it pushes the root of each of the semaphore
// table's treaps onto q.
func (fr *fastReader) semaRoots(l *layout, q *sweepQueue) *semaWalk {
	sw := &semaWalk{waiters: map[uint64]uint64{}, budget: maxSemaNodes}
	s, ok := l.syms["runtime.semtable"]
	if !ok || s.Size == 0 || s.Size%semTabSize != 0 {
		return sw
	}
	stride := s.Size / semTabSize
	for i := uint64(0); i < semTabSize; i++ {
		root, err := fr.mem.u64(s.Value + i*stride + uint64(fr.o.semaTreap))
		if err == nil && root != 0 {
			q.push(sweepItem{addr: root, kind: treapNode})
		}
	}
	return sw
}

// treapNode reads the treap node (a sudog) at node, depth levels down:
// its semaphore, its waiters from itself on, and its children.
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
	fr.semaWaiter(sw, q, node, elem)
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
