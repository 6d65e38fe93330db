package goroutines

import (
	"hash/maphash"
	"slices"
	"strconv"
)

// maxInternedStacks bounds the distinct stacks a stackInterner keeps. A
// crowd of goroutines parked in one place, the census that interning
// pays for, shares a few hundred stacks; a dump whose every stack differs
// gains nothing from a table, and past this many the interner only copies.
const maxInternedStacks = 1 << 16

// stackInterner gives goroutines whose stacks are equal one shared Frames
// slice, and equal creator frames one shared Frame, as the core reader
// does: a text dump of a hundred thousand goroutines in a few stacks then
// holds a few stacks, and what converts stacks once per slice
// (analyze/internal/stacks.Converter) converts a few. The slices are
// capped at their length, so an append by a caller copies rather than
// writing into another goroutine's stack; callers do not modify frames in
// place. The zero value is ready to use.
type stackInterner struct {
	seed     maphash.Seed
	byHash   map[uint64][][]Frame
	n        int
	creators map[Frame]*Frame
}

// frames returns the interned copy of fs, which the caller may reuse
// afterwards; nil for an empty stack.
func (si *stackInterner) frames(fs []Frame) []Frame {
	if len(fs) == 0 {
		return nil
	}
	if si.byHash == nil {
		si.seed = maphash.MakeSeed()
		si.byHash = map[uint64][][]Frame{}
	}
	h := si.hash(fs)
	for _, st := range si.byHash[h] {
		if slices.Equal(st, fs) {
			return st
		}
	}
	st := slices.Clip(slices.Clone(fs))
	if si.n < maxInternedStacks {
		si.byHash[h] = append(si.byHash[h], st)
		si.n++
	}
	return st
}

func (si *stackInterner) hash(fs []Frame) uint64 {
	var h maphash.Hash
	h.SetSeed(si.seed)
	var num [24]byte
	for _, f := range fs {
		h.WriteString(f.Func)
		h.WriteByte(0)
		h.WriteString(f.File)
		h.Write(strconv.AppendInt(num[:0], int64(f.Line), 10))
		if f.Inlined {
			h.WriteByte('i')
		}
		h.WriteByte(1)
	}
	return h.Sum64()
}

// creator returns a shared copy of a "created by" frame.
func (si *stackInterner) creator(f Frame) *Frame {
	if p, ok := si.creators[f]; ok {
		return p
	}
	p := new(Frame) // not &f, which would move f to the heap on every call
	*p = f
	if si.creators == nil {
		si.creators = map[Frame]*Frame{}
	}
	if len(si.creators) < maxInternedStacks {
		si.creators[f] = p
	}
	return p
}
