package goroutines

import "unsafe"

// StackID names a Frames slice by its backing array and length. The core
// reader and the text parsers give goroutines parked in the same place one
// shared slice, so goroutines with the same StackID have the same frames,
// and work done once per distinct stack can be keyed by it without
// comparing frames. Two IDs may still name equal frames.
type StackID struct {
	first *Frame
	n     int
}

// IDOf returns the StackID of fs; every empty stack has the zero ID.
func IDOf(fs []Frame) StackID {
	if len(fs) == 0 {
		return StackID{}
	}
	return StackID{&fs[0], len(fs)}
}

// PerStack computes a value from a stack once per shared stack (StackID):
// a crowd of goroutines parked in one place shares one Frames slice, so
// the work is done a few times rather than once per goroutine. It keeps
// at most MaxPerStack values and past that computes again. The zero value
// is ready to use.
type PerStack[T any] struct {
	done map[StackID]T
	// hot holds values of done by a hash of their ID, so that most
	// lookups of a million goroutines' stacks are one comparison rather
	// than a map lookup each (the analyzers' passes over a
	// million-goroutine census hashed IDs for a tenth of their time).
	hot *[hotStacks]hotStack[T]
}

// hotStacks is how many values a PerStack keeps in its hot slots: a
// census's few hundred distinct stacks mostly fit, and 256 slots of a
// small value stay within a few KiB.
const hotStacks = 256

type hotStack[T any] struct {
	id StackID
	v  T
}

// slot returns id's hot slot: Frames slices are allocated apart, so the
// bits of the first frame's address above its alignment spread them.
func (p *PerStack[T]) slot(id StackID) *hotStack[T] {
	if p.hot == nil {
		p.hot = new([hotStacks]hotStack[T])
	}
	h := uintptr(unsafe.Pointer(id.first))
	return &p.hot[(h>>5^h>>13^uintptr(id.n))%hotStacks]
}

// MaxPerStack bounds the values a PerStack keeps. Censuses share their
// stacks and have a few hundred distinct ones, which 4096 holds many times
// over; a census with more distinct stacks than stackInterner shares has a
// slice per goroutine, whose values would be kept for no reuse.
const MaxPerStack = 4096

// Of returns compute(fs), computed once for fs's StackID while the bound
// allows.
func (p *PerStack[T]) Of(fs []Frame, compute func([]Frame) T) T {
	id := IDOf(fs)
	var hot *hotStack[T]
	if id.first != nil {
		if hot = p.slot(id); hot.id == id {
			return hot.v
		}
	}
	if v, ok := p.done[id]; ok {
		if hot != nil {
			*hot = hotStack[T]{id, v}
		}
		return v
	}
	v := compute(fs)
	if p.done == nil {
		p.done = map[StackID]T{}
	}
	if len(p.done) < MaxPerStack {
		p.done[id] = v
		if hot != nil {
			*hot = hotStack[T]{id, v}
		}
	}
	return v
}

// Len returns how many values p keeps.
func (p *PerStack[T]) Len() int { return len(p.done) }
