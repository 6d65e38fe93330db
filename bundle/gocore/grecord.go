package gocore

import "encoding/binary"

// A g record is the part of a runtime.g the census reads, copied out of the
// g struct: when a g's stack lies further on, the sweep reads it once it
// reaches the stack's address (walk.go), and keeps the g as a record
// until then. A record is 8 bytes a field (15 fields, 120 bytes) against
// the whole g (about 440 bytes in Go 1.26), and records are made only for
// the goroutines whose stack lies further: 18,768 of the million of
// corpus/bench/core.sh's snapshot, 2.2 MB where a record for every g
// would take 120 MB of fresh memory.

// gRecords lays out g records: each field the census reads from a g gets
// an 8-byte slot, in gOffsets' order.
type gRecords struct {
	// src are the fields' offsets in the g struct, slot by slot.
	src []int64
	// offsets are gOffsets with every g field pointing at its slot in a
	// record (absent fields stay -1); the sudog, semaRoot and _panic
	// offsets are the layout's own.
	offsets gOffsets
	// gSize is the size of the g struct the records are copied from.
	gSize int64
}

// newGRecords lays out the records of gs with offsets o.
func newGRecords(o *gOffsets) *gRecords {
	r := &gRecords{offsets: *o, gSize: o.size}
	for _, f := range []*int64{
		&r.offsets.goid, &r.offsets.status, &r.offsets.schedSP, &r.offsets.schedPC, &r.offsets.schedBP,
		&r.offsets.stackLo, &r.offsets.stackHi, &r.offsets.waitReason, &r.offsets.waitSince,
		&r.offsets.gopc, &r.offsets.startpc, &r.offsets.waiting, &r.offsets.labels,
		&r.offsets.panic, &r.offsets.sig,
	} {
		if *f < 0 {
			continue
		}
		r.src = append(r.src, *f)
		*f = int64(8 * (len(r.src) - 1))
	}
	r.offsets.size = int64(8 * len(r.src))
	return r
}

// copyFrom fills record rec from the g struct g: each slot takes the
// field's bytes (up to 8, fewer at the end of the struct), zero-padded; a
// field the layout places past the struct's end reads as zero.
func (r *gRecords) copyFrom(rec, g []byte) {
	for i, off := range r.src {
		slot := rec[8*i : 8*i+8]
		if off >= 0 && off+8 <= int64(len(g)) {
			// One load and store rather than copy's call, for 15 fields
			// of a million goroutines.
			binary.LittleEndian.PutUint64(slot, binary.LittleEndian.Uint64(g[off:]))
			continue
		}
		n := 0
		if off < int64(len(g)) {
			n = copy(slot, g[off:min(off+8, int64(len(g)))])
		}
		clear(slot[n:])
	}
}
