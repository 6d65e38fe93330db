package symbolize

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// pclntab magics (runtime/symtab.go pcHeader.magic) whose layout this
// reader decodes: Go 1.20 onward use magic120; the 1.18 layout lacks the
// startLine field.
const (
	magic118 = 0xfffffff0
	magic120 = 0xfffffff1
)

// Indexes into a function's pcdata and funcdata tables
// (internal/abi/symtab.go).
const (
	pcdataInlTreeIndex = 2
	funcdataInlTree    = 3
)

// inlinedCallSize is sizeof(runtime.inlinedCall) since Go 1.21: funcID,
// 3 bytes padding, nameOff, parentPc, startLine.
const inlinedCallSize = 16

// maxInlineDepth bounds inline expansion; the compiler's inlining budget
// keeps real trees a handful deep, so deeper chains are corrupt.
const maxInlineDepth = 64

// pclntab is a decoded Go 1.18+ pclntab: function table, names, and the
// pc-value tables for file, line and inline-tree index.
type pclntab struct {
	data      []byte
	minLC     uint32
	ptrSize   int
	text      uint64 // runtime.text: what entry offsets are relative to
	funcnames []byte
	cutab     []byte
	filetab   []byte
	pctab     []byte
	functab   []byte // pclntable; starts with nfunc+1 (entryoff, funcoff) pairs
	nfunc     int
	hasStart  bool // _func has the Go 1.20 startLine field
}

// funcInfo is one decoded runtime._func.
type funcInfo struct {
	entry, end   uint64
	nameOff      int32
	pcsp         []byte // the u32 pcsp offset, as a 1-entry table
	pcfile, pcln uint32
	cuOffset     uint32
	pcdata       []byte // npcdata u32s
	funcdata     []byte // nfuncdata u32s
}

// parsePclntab decodes the header of the .gopclntab section b; text is the
// address of the text section (runtime.text).
func parsePclntab(b []byte, text uint64) (*pclntab, error) {
	if len(b) < 8 {
		return nil, errors.New("pclntab shorter than its header")
	}
	m := binary.LittleEndian.Uint32(b)
	if m != magic118 && m != magic120 {
		return nil, fmt.Errorf("pclntab magic 0x%x is not a Go 1.18+ table", m)
	}
	t := &pclntab{data: b, minLC: uint32(b[6]), ptrSize: int(b[7]), text: text, hasStart: m == magic120}
	if t.ptrSize != 4 && t.ptrSize != 8 || t.minLC == 0 {
		return nil, fmt.Errorf("pclntab header has pointer size %d, instruction size %d", t.ptrSize, t.minLC)
	}
	word := func(i int) (uint64, error) {
		off := 8 + i*t.ptrSize
		if off+t.ptrSize > len(b) {
			return 0, fmt.Errorf("pclntab header word %d at offset 0x%x is cut short", i, off)
		}
		if t.ptrSize == 4 {
			return uint64(binary.LittleEndian.Uint32(b[off:])), nil
		}
		return binary.LittleEndian.Uint64(b[off:]), nil
	}
	var w [8]uint64
	for i := range w {
		v, err := word(i)
		if err != nil {
			return nil, err
		}
		w[i] = v
	}
	sub := func(off uint64, name string) ([]byte, error) {
		if off > uint64(len(b)) {
			return nil, fmt.Errorf("pclntab %s offset 0x%x is past its end (0x%x)", name, off, len(b))
		}
		return b[off:], nil
	}
	var err error
	if t.funcnames, err = sub(w[3], "funcname"); err != nil {
		return nil, err
	}
	if t.cutab, err = sub(w[4], "cu"); err != nil {
		return nil, err
	}
	if t.filetab, err = sub(w[5], "file"); err != nil {
		return nil, err
	}
	if t.pctab, err = sub(w[6], "pc"); err != nil {
		return nil, err
	}
	if t.functab, err = sub(w[7], "func"); err != nil {
		return nil, err
	}
	if w[0] > uint64(len(t.functab))/8 {
		return nil, fmt.Errorf("pclntab claims %d functions, more than its table holds", w[0])
	}
	t.nfunc = int(w[0])
	return t, nil
}

// lookup finds the function containing pc.
func (t *pclntab) lookup(pc uint64) (*funcInfo, bool) {
	if pc < t.text || t.nfunc == 0 {
		return nil, false
	}
	off := pc - t.text
	ft := t.functab
	i := sort.Search(t.nfunc, func(i int) bool { return uint64(binary.LittleEndian.Uint32(ft[8*i:])) > off }) - 1
	if i < 0 {
		return nil, false
	}
	end := uint64(binary.LittleEndian.Uint32(ft[8*(i+1):]))
	if off >= end {
		return nil, false
	}
	return t.funcAt(binary.LittleEndian.Uint32(ft[8*i+4:]), end)
}

// funcAt decodes the _func at funcoff in the func table.
func (t *pclntab) funcAt(funcoff uint32, endOff uint64) (*funcInfo, bool) {
	fixed := 44
	if !t.hasStart {
		fixed = 40
	}
	b := t.functab
	if uint64(funcoff)+uint64(fixed) > uint64(len(b)) {
		return nil, false
	}
	f := b[funcoff:]
	le := binary.LittleEndian
	npcdata := int(le.Uint32(f[28:]))
	nfuncdata := int(f[fixed-1])
	if npcdata > (len(f)-fixed)/4 || nfuncdata > (len(f)-fixed)/4-npcdata {
		return nil, false
	}
	fi := &funcInfo{
		entry:    t.text + uint64(le.Uint32(f)),
		end:      t.text + endOff,
		nameOff:  int32(le.Uint32(f[4:])),
		pcsp:     f[16:20],
		pcfile:   le.Uint32(f[20:]),
		pcln:     le.Uint32(f[24:]),
		cuOffset: le.Uint32(f[32:]),
		pcdata:   f[fixed : fixed+4*npcdata],
		funcdata: f[fixed+4*npcdata : fixed+4*npcdata+4*nfuncdata],
	}
	return fi, true
}

// cstr reads a NUL-terminated string at off in b.
func cstr(b []byte, off uint64) string {
	if off >= uint64(len(b)) {
		return ""
	}
	s := b[off:]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return string(s)
}

// funcName returns the name at nameOff in the funcname table.
func (t *pclntab) funcName(nameOff int32) string {
	if nameOff < 0 {
		return ""
	}
	return cstr(t.funcnames, uint64(nameOff))
}

// pcvalue evaluates the pc-value table at off for targetpc, as the
// runtime's pcvalue does: zig-zag value deltas and pc deltas in units of
// the minimum instruction size. It returns -1 when pc is not covered.
func (t *pclntab) pcvalue(off uint32, entry, targetpc uint64) int32 {
	if off == 0 || uint64(off) >= uint64(len(t.pctab)) {
		return -1
	}
	p := t.pctab[off:]
	val, pc := int32(-1), entry
	for first := true; ; first = false {
		uv, n := binary.Uvarint(p)
		if n <= 0 || (uv == 0 && !first) {
			return -1
		}
		p = p[n:]
		if uv&1 != 0 {
			val += int32(^(uv >> 1))
		} else {
			val += int32(uv >> 1)
		}
		pd, n := binary.Uvarint(p)
		if n <= 0 {
			return -1
		}
		p = p[n:]
		pc += pd * uint64(t.minLC)
		if targetpc < pc {
			return val
		}
	}
}

// fileLine returns the source position of pc inside f.
func (t *pclntab) fileLine(f *funcInfo, pc uint64) (string, int) {
	line := t.pcvalue(f.pcln, f.entry, pc)
	fno := t.pcvalue(f.pcfile, f.entry, pc)
	file := ""
	if fno >= 0 {
		i := uint64(f.cuOffset) + uint64(fno)
		if 4*i+4 <= uint64(len(t.cutab)) {
			if off := binary.LittleEndian.Uint32(t.cutab[4*i:]); off != ^uint32(0) {
				file = cstr(t.filetab, uint64(off))
			}
		}
	}
	if line < 0 {
		line = 0
	}
	return file, int(line)
}

// u32At returns entry i of a u32 table, or ^0 when out of range.
func u32At(tab []byte, i int) uint32 {
	if 4*i+4 > len(tab) {
		return ^uint32(0)
	}
	return binary.LittleEndian.Uint32(tab[4*i:])
}

// frames expands pc inside f into its inlined calls, innermost first,
// ending with f itself. inl reads the inline tree from memory; nil
// disables expansion.
func (t *pclntab) frames(f *funcInfo, pc uint64, inl func(off uint64, n int) []byte) []Frame {
	var out []Frame
	if inl != nil {
		if treeOff := u32At(f.funcdata, funcdataInlTree); treeOff != ^uint32(0) {
			tabOff := u32At(f.pcdata, pcdataInlTreeIndex)
			for depth := 0; depth < maxInlineDepth && tabOff != ^uint32(0); depth++ {
				ix := t.pcvalue(tabOff, f.entry, pc)
				if ix < 0 {
					break
				}
				ic := inl(uint64(treeOff)+uint64(ix)*inlinedCallSize, inlinedCallSize)
				if ic == nil {
					break
				}
				file, line := t.fileLine(f, pc)
				out = append(out, Frame{Func: t.funcName(int32(binary.LittleEndian.Uint32(ic[4:]))), File: file, Line: line, Inlined: true})
				pc = f.entry + uint64(int64(int32(binary.LittleEndian.Uint32(ic[8:]))))
			}
		}
	}
	file, line := t.fileLine(f, pc)
	return append(out, Frame{Func: t.funcName(f.nameOff), File: file, Line: line})
}
