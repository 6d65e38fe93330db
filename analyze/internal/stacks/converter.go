package stacks

import "github.com/coroner/coroner/bundle/goroutines"

// Converter converts census stacks as FromGoroutine does, once per stack
// slice: goroutines parked in the same place share one Frames slice (the
// core reader interns stacks), so a million goroutines in a few stacks
// are converted a few times rather than a million. The stacks it returns
// are shared between goroutines: callers must not modify them. The zero
// value is ready to use.
type Converter struct {
	done map[goroutines.StackID][]Frame
}

// maxConverted bounds the stacks a Converter keeps: a census read from
// text dumps has a slice per goroutine, and keeping each converted would
// double its frames in memory for no reuse. Interned censuses have a few
// hundred distinct stacks; 4096 holds them many times over.
const maxConverted = 4096

// FromGoroutine returns fs converted, from the converter's store when fs
// was converted before.
func (c *Converter) FromGoroutine(fs []goroutines.Frame) []Frame {
	if len(fs) == 0 {
		return FromGoroutine(fs)
	}
	id := goroutines.IDOf(fs)
	if st, ok := c.done[id]; ok {
		return st
	}
	st := FromGoroutine(fs)
	if c.done == nil {
		c.done = map[goroutines.StackID][]Frame{}
	}
	if len(c.done) < maxConverted {
		c.done[id] = st
	}
	return st
}
