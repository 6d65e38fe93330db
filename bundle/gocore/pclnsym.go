package gocore

import (
	"debug/elf"
	"fmt"

	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/bundle/symbolize"
)

// exeLayout returns the runtime's layout and a symbolizer for the
// executable: from its DWARF and symbol table, or, for an executable
// built without them (-ldflags=-s -w), from its Go version's layout table
// and its pclntab (layout_versions.go, runtimevars.go). close releases
// what the symbolizer holds.
func exeLayout(ef *elf.File, exePath string) (l *layout, sym *symbolizer, close func(), err error) {
	d, derr := ef.DWARF()
	if derr == nil {
		if l, err = loadLayout(ef, d); err != nil {
			return nil, nil, nil, err
		}
		return l, newSymbolizer(d), func() {}, nil
	}
	if l, err = tableLayout(ef, exePath); err != nil {
		return nil, nil, nil, fmt.Errorf("DWARF: %v; %w", derr, err)
	}
	b, err := symbolize.Open(exePath)
	if err != nil {
		return nil, nil, nil, err
	}
	sym = newSymbolizer(nil)
	sym.pcln = b
	return l, sym, func() { b.Close() }, nil
}

// pclnFrames symbolizes pc with the pclntab, inlined calls expanded, as
// frames would from DWARF.
func (s *symbolizer) pclnFrames(pc uint64) []goroutines.Frame {
	fs := s.pcln.Frames(pc)
	if len(fs) == 0 {
		return []goroutines.Frame{{Func: fmt.Sprintf("?%#x", pc)}}
	}
	out := make([]goroutines.Frame, len(fs))
	for i, f := range fs {
		out[i] = goroutines.Frame{Func: f.Func, File: f.File, Line: f.Line, Inlined: f.Inlined}
	}
	return out
}

// pclnCFA is the canonical frame address at pc from the pclntab's pcsp
// table: the return address lies SPDelta bytes above the stack pointer,
// and the CFA is the stack pointer before the call pushed it, 8 bytes
// higher (amd64), as Go's .debug_frame defines it.
func pclnCFA(b *symbolize.Binary, pc, sp uint64) (uint64, bool) {
	d, ok := b.SPDelta(pc)
	if !ok {
		return 0, false
	}
	return sp + uint64(d) + 8, true
}
