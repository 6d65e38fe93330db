package goroutines

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
	if v, ok := p.done[id]; ok {
		return v
	}
	v := compute(fs)
	if p.done == nil {
		p.done = map[StackID]T{}
	}
	if len(p.done) < MaxPerStack {
		p.done[id] = v
	}
	return v
}

// Len returns how many values p keeps.
func (p *PerStack[T]) Len() int { return len(p.done) }
