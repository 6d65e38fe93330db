package gocore

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/coroner/coroner/bundle/elfcore"
)

// TestWaitChansBounded follows sudog lists read from memory: a select's
// list gives its channels in order, and a damaged or stale list that
// cycles without naming a channel ends after maxSelectCases sudogs rather
// than never.
func TestWaitChansBounded(t *testing.T) {
	const base, size = 0x10000, 0x1000
	mem := make([]byte, size)
	o := &gOffsets{sudogC: 88, sudogWaitlink: 72}
	sudog := func(at, c, next uint64) {
		binary.LittleEndian.PutUint64(mem[at-base+uint64(o.sudogC):], c)
		binary.LittleEndian.PutUint64(mem[at-base+uint64(o.sudogWaitlink):], next)
	}
	// A select over two channels.
	sudog(base, 0xc000, base+0x100)
	sudog(base+0x100, 0xd000, 0)
	// Two sudogs naming no channel, linked to each other.
	sudog(base+0x200, 0, base+0x300)
	sudog(base+0x300, 0, base+0x200)
	m := newCoreMem(bytes.NewReader(mem), &elfcore.Core{Size: size,
		Segments: []elfcore.Segment{{Type: 1, Vaddr: base, Filesz: size, Memsz: size}}})
	fr := &fastReader{mem: m, o: o}
	if got := fr.waitChans(base); len(got) != 2 || got[0] != 0xc000 || got[1] != 0xd000 {
		t.Errorf("select's channels: %#x, want [0xc000 0xd000]", got)
	}
	if got := fr.waitChans(base + 0x200); len(got) != 0 {
		t.Errorf("a cycle naming no channel: %#x, want none", got)
	}
}
