package gocore

import (
	"debug/elf"
	"debug/gosym"
	"fmt"

	"golang.org/x/arch/x86/x86asm"
)

// A stripped executable has no symbol table, but its pclntab still names
// every function and gives its code's bounds. The runtime's variables are
// found from that code: a function that uses a variable addresses it
// RIP-relative, and one toolchain compiles the runtime the same for every
// program (only the link addresses change), so the n-th distinct
// RIP-relative address a given runtime function uses is the same variable
// in every program built by that Go version. The generator (see
// layout_versions_test.go) records, for each variable, the function and
// that n from an unstripped build, and the tests check the addresses
// found equal the symbol table's in fresh builds.

// varRef locates a runtime variable in the runtime's code: the ordinal-th
// distinct RIP-relative address used by function fn (counted from 0 in
// instruction order).
type varRef struct {
	fn      string
	ordinal int
}

// maxFuncBytes bounds the code read of one function: the runtime's
// largest functions (runtime.gcDrain, runtime.schedule) are a few KiB,
// and a pclntab claiming more is damaged.
const maxFuncBytes = 1 << 20

// pclnFuncs opens ef's pclntab as a function table by name.
func pclnFuncs(ef *elf.File) (*gosym.Table, error) {
	pcln, text := ef.Section(".gopclntab"), ef.Section(".text")
	if pcln == nil || text == nil {
		return nil, fmt.Errorf("no .gopclntab or .text section")
	}
	data, err := pcln.Data()
	if err != nil {
		return nil, fmt.Errorf("reading .gopclntab: %w", err)
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return nil, fmt.Errorf("parsing .gopclntab: %w", err)
	}
	return tab, nil
}

// funcCode returns the machine code of the function named name.
func funcCode(ef *elf.File, tab *gosym.Table, name string) (code []byte, entry uint64, err error) {
	fn := tab.LookupFunc(name)
	if fn == nil {
		return nil, 0, fmt.Errorf("the pclntab has no function %s", name)
	}
	text := ef.Section(".text")
	if fn.End <= fn.Entry || fn.End-fn.Entry > maxFuncBytes || fn.Entry < text.Addr || fn.End > text.Addr+text.Size {
		return nil, 0, fmt.Errorf("function %s: bounds %#x-%#x out of .text", name, fn.Entry, fn.End)
	}
	code = make([]byte, fn.End-fn.Entry)
	if _, err := text.ReadAt(code, int64(fn.Entry-text.Addr)); err != nil {
		return nil, 0, fmt.Errorf("function %s: reading .text at %#x: %w", name, fn.Entry, err)
	}
	return code, fn.Entry, nil
}

// ripTargets decodes amd64 code loaded at pc and returns the distinct
// addresses its RIP-relative operands refer to, in instruction order.
// Bytes that do not decode (padding) are stepped over one at a time.
func ripTargets(code []byte, pc uint64) []uint64 {
	var out []uint64
	seen := map[uint64]bool{}
	for len(code) > 0 {
		inst, err := x86asm.Decode(code, 64)
		if err != nil || inst.Len == 0 {
			code, pc = code[1:], pc+1
			continue
		}
		next := pc + uint64(inst.Len)
		for _, a := range inst.Args {
			if m, ok := a.(x86asm.Mem); ok && m.Base == x86asm.RIP {
				if t := uint64(int64(next) + m.Disp); !seen[t] {
					seen[t] = true
					out = append(out, t)
				}
			}
		}
		code, pc = code[inst.Len:], next
	}
	return out
}

// runtimeVars finds the runtime variables refs locates in ef's code, and
// the runtime functions funcs names by their entry, as the symbol table
// would give them.
func runtimeVars(ef *elf.File, refs map[string]varRef, funcs []string) (map[string]elf.Symbol, error) {
	tab, err := pclnFuncs(ef)
	if err != nil {
		return nil, err
	}
	out := map[string]elf.Symbol{}
	for name, ref := range refs {
		code, entry, err := funcCode(ef, tab, ref.fn)
		if err != nil {
			return nil, fmt.Errorf("finding %s: %w", name, err)
		}
		ts := ripTargets(code, entry)
		if ref.ordinal >= len(ts) {
			return nil, fmt.Errorf("finding %s: %s uses %d RIP-relative addresses, not %d", name, ref.fn, len(ts), ref.ordinal+1)
		}
		if !inDataSection(ef, ts[ref.ordinal]) {
			return nil, fmt.Errorf("finding %s: %s's address %#x lies in no data section", name, ref.fn, ts[ref.ordinal])
		}
		out[name] = elf.Symbol{Name: name, Value: ts[ref.ordinal]}
	}
	for _, name := range funcs {
		if fn := tab.LookupFunc(name); fn != nil {
			out[name] = elf.Symbol{Name: name, Value: fn.Entry, Size: fn.End - fn.Entry}
		}
	}
	return out, nil
}

// inDataSection reports whether addr lies in a writable mapped section,
// where the runtime's variables live.
func inDataSection(ef *elf.File, addr uint64) bool {
	for _, s := range ef.Sections {
		if s.Flags&elf.SHF_ALLOC != 0 && s.Flags&elf.SHF_WRITE != 0 && addr >= s.Addr && addr < s.Addr+s.Size {
			return true
		}
	}
	return false
}
