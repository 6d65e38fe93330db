package stacks

import "github.com/coroner/coroner/bundle/goroutines"

// Converter converts census stacks as FromGoroutine does, once per stack
// slice (goroutines.PerStack): goroutines parked in the same place share
// one Frames slice, so a million goroutines in a few stacks are converted
// a few times rather than a million. The stacks it returns are shared
// between goroutines: callers must not modify them. The zero value is
// ready to use.
type Converter struct {
	done goroutines.PerStack[[]Frame]
}

// FromGoroutine returns fs converted, from the converter's store when fs
// was converted before.
func (c *Converter) FromGoroutine(fs []goroutines.Frame) []Frame {
	return c.done.Of(fs, FromGoroutine)
}
