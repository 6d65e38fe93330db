package gocore

import (
	"encoding/binary"
	"slices"
)

// Which locks a parked goroutine holds is not recorded by the runtime:
// sync.Mutex keeps no owner. A function that locked a mutex keeps the
// mutex's address live in its frame, though, for the Unlock it will call
// (an open-coded defer saves the receiver in a stack slot; an explicit
// Unlock needs the pointer too). So the stack of a parked goroutine is
// scanned for the addresses of mutexes that are locked and have waiters;
// each hit is a lock the goroutine most likely holds. Scanning only for
// contended, locked mutexes keeps false hits (a stale slot, a pointer to a
// struct whose first field is the mutex) rare, and the analyzers use
// these hits together with other evidence, never alone.

// Bounds on the held-lock scan.
const (
	// maxHeldScan is how much of one stack above its saved SP is scanned:
	// the frames between gopark and the user function that took the lock
	// are a few hundred bytes; 16 KiB covers deep callers too. The scan
	// has no total bound: a stack is scanned where the census reads it
	// anyway (the frames its unwinding decodes), and a word costs a range
	// check unless it falls among the contended mutexes' addresses.
	maxHeldScan = 16 << 10
	// mutexLocked is sync.Mutex's locked bit in its state word
	// (internal/sync/mutex.go: mutexLocked = 1 << iota).
	mutexLocked = 1
)

// heldScan holds the contended, locked mutexes of the core.
type heldScan struct {
	// mutexes maps a locked mutex's address to its semaphore's address.
	mutexes map[uint64]uint64
	// lo and hi bound the mutexes' addresses: most words of a stack fall
	// outside and need no map lookup.
	lo, hi uint64
	buf    []byte
}

// newHeldScan collects the mutexes waiters sleep on that are locked, from
// semas, the addresses of the semaphores goroutines wait on.
func (fr *fastReader) newHeldScan(l *layout, semas []uint64) *heldScan {
	stateOff, semaOff, ok := l.mutexSema()
	if !ok || len(semas) == 0 {
		return nil
	}
	h := &heldScan{mutexes: map[uint64]uint64{}, lo: ^uint64(0)}
	for _, sema := range semas {
		m := sema - uint64(semaOff)
		if _, seen := h.mutexes[m]; seen || sema < uint64(semaOff) {
			continue
		}
		var st [4]byte
		if fr.mem.read(st[:], m+uint64(stateOff)) != nil || binary.LittleEndian.Uint32(st[:])&mutexLocked == 0 {
			continue
		}
		h.mutexes[m] = sema
		h.lo, h.hi = min(h.lo, m), max(h.hi, m)
	}
	if len(h.mutexes) == 0 {
		return nil
	}
	return h
}

// scanLen returns how much of a parked goroutine's stack [sp, hi) the
// held-lock scan reads.
func (fr *fastReader) scanLen(sp, lo, hi uint64) uint64 {
	if fr.heldScan == nil || sp < lo || sp >= hi {
		return 0
	}
	return min(hi-sp, maxHeldScan) &^ 7
}

// held scans n bytes of a parked goroutine's stack from sp for the
// addresses of contended locked mutexes; it returns their semaphore
// addresses, sorted.
func (fr *fastReader) held(sp, n uint64) []uint64 {
	h := fr.heldScan
	if h == nil || n == 0 {
		return nil
	}
	// The scan reads nothing else of the core, so a lent frame's bytes
	// serve as they are.
	b, ok := fr.mem.peek(sp, n)
	if !ok {
		if uint64(cap(h.buf)) < n {
			h.buf = make([]byte, n)
		}
		b = h.buf[:n]
		if fr.mem.read(b, sp) != nil {
			return nil
		}
	}
	var out []uint64
	for i := 0; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if w-h.lo > h.hi-h.lo {
			continue
		}
		sema, ok := h.mutexes[w]
		if ok && !slices.Contains(out, sema) {
			out = append(out, sema)
		}
	}
	slices.Sort(out)
	return out
}
