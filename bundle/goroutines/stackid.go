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

// StackCache keeps values by StackID in a fixed number of slots, a later
// value taking an earlier one's slot: in front of a map that holds them
// all, most lookups of a million goroutines' stacks are then one
// comparison rather than a map lookup each (the analyzers' passes over a
// million-goroutine census hashed IDs for a tenth of their time). It
// keeps nothing for the zero ID. The zero value is ready to use.
type StackCache[T any] struct {
	slots *[hotStacks]hotStack[T]
}

// hotStacks is how many values a StackCache keeps: a census's few hundred
// distinct stacks mostly fit, and 256 slots of a small value stay within
// a few KiB.
const hotStacks = 256

type hotStack[T any] struct {
	id StackID
	v  T
}

// slot returns id's slot, nil for the zero ID: Frames slices are
// allocated apart, so the bits of the first frame's address above its
// alignment spread them.
func (c *StackCache[T]) slot(id StackID) *hotStack[T] {
	if id.first == nil {
		return nil
	}
	if c.slots == nil {
		c.slots = new([hotStacks]hotStack[T])
	}
	h := uintptr(unsafe.Pointer(id.first))
	return &c.slots[(h>>5^h>>13^uintptr(id.n))%hotStacks]
}

// Get returns the value kept for id, if its slot still holds it.
func (c *StackCache[T]) Get(id StackID) (T, bool) {
	if s := c.slot(id); s != nil && s.id == id {
		return s.v, true
	}
	var zero T
	return zero, false
}

// Put keeps v for id.
func (c *StackCache[T]) Put(id StackID, v T) {
	if s := c.slot(id); s != nil {
		*s = hotStack[T]{id, v}
	}
}

// StateCache keeps, by stack, the value for the state last seen on it: a
// value that depends on a goroutine's stack and also on its status and
// wait reason, or on the kind of wait found there. A stack's goroutines
// mostly share one state, so a lookup is then one comparison of the state
// rather than hashing it. The zero value is ready to use.
type StateCache[S comparable, T any] struct {
	last StackCache[stateValue[S, T]]
}

type stateValue[S comparable, T any] struct {
	state S
	v     T
}

// Get returns the value kept for id in state s, if id's slot holds that
// state.
func (c *StateCache[S, T]) Get(id StackID, s S) (T, bool) {
	if sv, ok := c.last.Get(id); ok && sv.state == s {
		return sv.v, true
	}
	var zero T
	return zero, false
}

// Put keeps v for id in state s.
func (c *StateCache[S, T]) Put(id StackID, s S, v T) { c.last.Put(id, stateValue[S, T]{s, v}) }

// StackMap maps StackIDs to values, with a StackCache in front of its
// map. The zero value is ready to use.
type StackMap[T any] struct {
	m   map[StackID]T
	hot StackCache[T]
}

// Get returns id's value and whether it has one.
func (s *StackMap[T]) Get(id StackID) (T, bool) {
	if v, ok := s.hot.Get(id); ok {
		return v, true
	}
	v, ok := s.m[id]
	if ok {
		s.hot.Put(id, v)
	}
	return v, ok
}

// Put sets id's value.
func (s *StackMap[T]) Put(id StackID, v T) {
	if s.m == nil {
		s.m = map[StackID]T{}
	}
	s.m[id] = v
	s.hot.Put(id, v)
}

// Len returns how many values s holds.
func (s *StackMap[T]) Len() int { return len(s.m) }

// PerStack computes a value from a stack once per shared stack (StackID):
// a crowd of goroutines parked in one place shares one Frames slice, so
// the work is done a few times rather than once per goroutine. It keeps
// at most MaxPerStack values and past that computes again. The zero value
// is ready to use.
type PerStack[T any] struct {
	done StackMap[T]
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
	if v, ok := p.done.Get(id); ok {
		return v
	}
	v := compute(fs)
	if p.done.Len() < MaxPerStack {
		p.done.Put(id, v)
	}
	return v
}

// Len returns how many values p keeps.
func (p *PerStack[T]) Len() int { return p.done.Len() }
