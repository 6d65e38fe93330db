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
	// are a few hundred bytes; 16 KiB covers deep callers too.
	maxHeldScan = 16 << 10
	// maxHeldScanTotal bounds the bytes scanned over all goroutines (about
	// 4k goroutines' worth at maxHeldScan, usually far more since most
	// stacks are shorter) so a census of 100k waiters stays fast.
	maxHeldScanTotal = 64 << 20
	// mutexLocked is sync.Mutex's locked bit in its state word
	// (internal/sync/mutex.go: mutexLocked = 1 << iota).
	mutexLocked = 1
)

// heldScan holds the contended, locked mutexes of the core.
type heldScan struct {
	semaOff int64
	// mutexes maps a locked mutex's address to its semaphore's address.
	mutexes map[uint64]uint64
	budget  int
	buf     []byte
}

// newHeldScan collects the mutexes waiters sleep on that are locked.
func (fr *fastReader) newHeldScan(l *layout) *heldScan {
	stateOff, semaOff, ok := l.mutexSema()
	if !ok || len(fr.sema) == 0 {
		return nil
	}
	h := &heldScan{semaOff: semaOff, mutexes: map[uint64]uint64{}, budget: maxHeldScanTotal}
	for _, sema := range fr.sema {
		m := sema - uint64(semaOff)
		if _, seen := h.mutexes[m]; seen || sema < uint64(semaOff) {
			continue
		}
		var st [4]byte
		if fr.mem.read(st[:], m+uint64(stateOff)) != nil || binary.LittleEndian.Uint32(st[:])&mutexLocked == 0 {
			continue
		}
		h.mutexes[m] = sema
	}
	if len(h.mutexes) == 0 {
		return nil
	}
	return h
}

// scanLen returns how much of a parked goroutine's stack [sp, hi) the
// held-lock scan reads, and takes it from the budget: the census calls it
// for every waiting goroutine in runtime.allgs order, so which stacks are
// scanned once the budget runs out does not depend on the order the
// stacks are then read in. (System goroutines take their share too,
// though they are not scanned: a handful per program.)
func (fr *fastReader) scanLen(sp, lo, hi uint64) uint64 {
	h := fr.heldScan
	if h == nil || sp < lo || sp >= hi || h.budget <= 0 {
		return 0
	}
	n := min(hi-sp, maxHeldScan, uint64(h.budget)) &^ 7
	h.budget -= int(n)
	return n
}

// held scans n bytes of a parked goroutine's stack from sp for the
// addresses of contended locked mutexes other than the one it waits on;
// it returns their semaphore addresses, sorted.
func (fr *fastReader) held(sp, n, waitsOn uint64) []uint64 {
	h := fr.heldScan
	if h == nil || n == 0 {
		return nil
	}
	if uint64(cap(h.buf)) < n {
		h.buf = make([]byte, n)
	}
	b := h.buf[:n]
	if fr.mem.read(b, sp) != nil {
		return nil
	}
	var out []uint64
	for i := 0; i+8 <= len(b); i += 8 {
		sema, ok := h.mutexes[binary.LittleEndian.Uint64(b[i:])]
		if ok && sema != waitsOn && !slices.Contains(out, sema) {
			out = append(out, sema)
		}
	}
	slices.Sort(out)
	return out
}
