package gocore

import (
	"encoding/binary"
	"slices"

	"github.com/coroner/coroner/bundle/goroutines"
)

// stackInterner gives every goroutine with the same call pcs the same
// symbolized stack: one []Frame per distinct stack, shared by all the
// goroutines parked in it. A program of a million goroutines in a few
// hundred distinct stacks then holds a few hundred stacks, not a million.
// The shared slices are capped at their length, so an append by a caller
// copies rather than writing into another goroutine's stack; callers do
// not modify frames in place.
type stackInterner struct {
	byPCs map[string][]goroutines.Frame
	key   []byte
}

// frames returns the stack of call pcs (innermost first), symbolized by
// sym with inlined calls expanded and cut at maxFrames.
func (si *stackInterner) frames(sym *symbolizer, pcs []uint64) []goroutines.Frame {
	si.key = si.key[:0]
	for _, pc := range pcs {
		si.key = binary.LittleEndian.AppendUint64(si.key, pc)
	}
	if fs, ok := si.byPCs[string(si.key)]; ok {
		return fs
	}
	var fs []goroutines.Frame
	for _, pc := range pcs {
		fs = append(fs, sym.frames(pc)...)
	}
	if len(fs) > maxFrames {
		fs = fs[:maxFrames]
	}
	fs = slices.Clip(fs)
	if si.byPCs == nil {
		si.byPCs = map[string][]goroutines.Frame{}
	}
	si.byPCs[string(si.key)] = fs
	return fs
}
