package gocore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/coroner/coroner/bundle/goroutines"
)

// The census reads goroutines in batches, each batch in address order: g
// structs by their address, stacks by their saved stack pointer, the
// sudogs of channel waiters by theirs. A core read in place from an
// archive decodes a whole 4 MiB frame for any byte it needs, and a
// long-running program's goroutines lie scattered over its heap in no
// relation to their order in runtime.allgs; reading in address order
// decodes each frame about once per batch instead of once per goroutine.
// Goroutines keep their allgs order in the census.

// censusBatch is how many goroutines are read per batch: 32k g structs
// (about 440 bytes each in Go 1.26) are 14 MiB held at once, and a
// batch's stacks are swept in one pass.
const censusBatch = 1 << 15

func (fr *fastReader) walk(l *layout) (*fastResult, error) {
	allgs, err := fr.mem.u64(l.syms["runtime.allgs"].Value)
	if err != nil {
		return nil, fmt.Errorf("runtime.allgs: %w", err)
	}
	n, err := fr.mem.u64(l.syms["runtime.allglen"].Value)
	if err != nil {
		return nil, fmt.Errorf("runtime.allglen: %w", err)
	}
	if n > maxAllgs {
		return nil, fmt.Errorf("runtime.allglen is %d (more than %d): goroutine list corrupt", n, maxAllgs)
	}
	res := &fastResult{census: &goroutines.Census{Format: "core", Complete: true}, running: map[int64]bool{}, runningAt: map[uint64]int{}}
	b := &batch{gb: make([]byte, min(n, censusBatch)*uint64(fr.o.size))}
	for i := uint64(0); i < n; i += censusBatch {
		cut := fr.readPointers(b, allgs, i, min(censusBatch, n-i), res.census)
		if err := fr.readGs(b, i, res.census); err != nil {
			return nil, err
		}
		fr.decodeBatch(b, res)
		if cut {
			break
		}
	}
	return res, nil
}

// batch is one batch of goroutines being read: their g addresses in allgs
// order and their g structs.
type batch struct {
	gps  []uint64
	gb   []byte // g structs, fr.o.size bytes each, in the order of gps
	ok   []bool // the g struct was read
	bad  int    // unreadable g structs so far, over all batches
	scan []uint64
}

func (fr *fastReader) g(b *batch, x int) []byte {
	size := int(fr.o.size)
	return b.gb[x*size : (x+1)*size]
}

// readPointers reads allgs[i:i+k] into b.gps; cut reports a list that
// turned unreadable, after which the census stops.
func (fr *fastReader) readPointers(b *batch, allgs, i, k uint64, c *goroutines.Census) (cut bool) {
	b.gps = b.gps[:0]
	ptrs := make([]byte, 8*allgsChunk)
	for j := uint64(0); j < k; j += allgsChunk {
		m := min(allgsChunk, k-j)
		if err := fr.mem.read(ptrs[:8*m], allgs+8*(i+j)); err != nil {
			c.Complete = false
			c.Warnings = appendCapped(c.Warnings, fmt.Sprintf("goroutine list unreadable after %d entries: %v", i+j, err))
			return true
		}
		for x := uint64(0); x < m; x++ {
			b.gps = append(b.gps, binary.LittleEndian.Uint64(ptrs[8*x:]))
		}
	}
	return false
}

// readGs reads the batch's g structs in address order, and sizes each
// waiting goroutine's held-lock scan in allgs order. first is the batch's
// first allgs index.
func (fr *fastReader) readGs(b *batch, first uint64, c *goroutines.Census) error {
	b.ok = slices.Grow(b.ok[:0], len(b.gps))[:len(b.gps)]
	b.scan = slices.Grow(b.scan[:0], len(b.gps))[:len(b.gps)]
	for _, x := range fr.orderBy(b, func(x int) uint64 { return b.gps[x] }) {
		b.ok[x] = false
		if err := fr.mem.read(fr.g(b, x), b.gps[x]); err != nil {
			b.bad++
			c.Complete = false
			c.Warnings = appendCapped(c.Warnings, fmt.Sprintf("unreadable goroutine at allgs index %d (g %#x): %v", first+uint64(x), b.gps[x], err))
			if b.bad >= maxUnreadableRun {
				return errors.New("goroutine list corrupt: too many unreadable goroutines")
			}
			continue
		}
		b.ok[x] = true
	}
	o := fr.o
	for x := range b.gps {
		b.scan[x] = 0
		if !b.ok[x] {
			continue
		}
		gb := fr.g(b, x)
		status := uint64(binary.LittleEndian.Uint32(gb[o.status:])) &^ gScan
		if gStatus[status] == "waiting" {
			b.scan[x] = fr.scanLen(fr.u64(gb, o.schedSP), fr.u64(gb, o.stackLo), fr.u64(gb, o.stackHi))
		}
	}
	return nil
}

// decodeBatch decodes the batch's goroutines in stack order, reads the
// channels of channel waiters in sudog order (and then the channels
// themselves: markChans), and appends the live goroutines to the census
// in allgs order.
func (fr *fastReader) decodeBatch(b *batch, res *fastResult) {
	out := make([]goroutines.Goroutine, len(b.gps))
	live := make([]bool, len(b.gps))
	sudogs := make([]uint64, len(b.gps))
	for _, x := range fr.orderBy(b, func(x int) uint64 { return fr.u64(fr.g(b, x), fr.o.schedSP) }) {
		if b.ok[x] {
			out[x], live[x], sudogs[x] = fr.goroutine(b.gps[x], fr.g(b, x), b.scan[x])
		}
	}
	chans := make([][]uint64, len(b.gps))
	for _, x := range fr.orderBy(b, func(x int) uint64 { return sudogs[x] }) {
		if live[x] && sudogs[x] != 0 {
			chans[x] = fr.waitChans(sudogs[x])
			if out[x].Status == "waiting" && len(chans[x]) > 0 {
				out[x].LockAddr = chans[x][0]
			}
		}
	}
	fr.markChans(out, chans)
	c := res.census
	for x := range b.gps {
		if !live[x] {
			continue
		}
		if out[x].Status == "running" {
			res.running[out[x].ID] = true
			res.runningAt[b.gps[x]] = len(c.Goroutines)
		}
		c.Goroutines = append(c.Goroutines, out[x])
	}
}

// orderBy returns the batch's indices sorted by key, ties in allgs order.
func (fr *fastReader) orderBy(b *batch, key func(x int) uint64) []int {
	ord := make([]int, len(b.gps))
	keys := make([]uint64, len(b.gps))
	for x := range ord {
		ord[x], keys[x] = x, key(x)
	}
	slices.SortStableFunc(ord, func(p, q int) int {
		switch {
		case keys[p] < keys[q]:
			return -1
		case keys[p] > keys[q]:
			return 1
		}
		return 0
	})
	return ord
}
