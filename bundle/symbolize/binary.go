// Package symbolize names the addresses found in profiles: Go binaries by
// their pclntab (which survives -ldflags=-s -w), with inlined calls
// expanded from the funcdata inline tree; other ELF code by its symbol
// table; kernel addresses by a kallsyms artifact.
//
// A per-kind reader: of coroner's packages it imports only elfbin, which
// reads build IDs for it.
package symbolize

import (
	"debug/buildinfo"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/coroner/coroner/bundle/elfbin"
)

// Frame is one source-level frame of a symbolized address.
type Frame struct {
	Func string
	File string
	Line int
	// Inlined is set for frames the compiler inlined into their caller.
	Inlined bool
}

// maxPclntabSize bounds the .gopclntab section read into memory; the
// largest Go binaries in the wild carry tables of a few hundred MiB.
const maxPclntabSize = 1 << 30

// maxSymbols bounds the ELF symbols kept.
const maxSymbols = 1 << 24

// Binary is an opened ELF executable ready to symbolize addresses. It
// reads lazily and is not safe for concurrent use.
type Binary struct {
	Path string
	// BuildID is the GNU build ID (hex), "" when the binary has none.
	BuildID string
	// GoVersion is the toolchain that built it, "" for non-Go binaries.
	GoVersion string
	// Warnings lists what could not be used (e.g. no inline tree).
	Warnings []string

	f        io.ReaderAt
	mm       []byte // the file, mapped; nil when not mapped
	closer   io.Closer
	ef       *elf.File
	loads    []elf.ProgHeader
	syms     []symbol
	symsRead bool
	tab      *pclntab
	gofunc   uint64 // address of go:func.*, base of funcdata offsets
}

type symbol struct {
	start, end uint64
	name       string
}

// Open reads path's program headers, build ID, symbol table and pclntab.
func Open(path string) (*Binary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	mm, unmap := mapFile(f)
	b, err := newBinary(f, path, mm)
	if err != nil {
		if unmap != nil {
			unmap()
		}
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b.closer = closers{f, unmap}
	return b, nil
}

// sectionData returns a section's bytes: a slice of the mapped file when
// the file is mapped and the section stored plainly, a copy otherwise.
func (b *Binary) sectionData(s *elf.Section) ([]byte, error) {
	if b.mm != nil && s.Type != elf.SHT_NOBITS && s.Flags&elf.SHF_COMPRESSED == 0 &&
		s.Offset <= uint64(len(b.mm)) && s.Size <= uint64(len(b.mm))-s.Offset {
		return b.mm[s.Offset : s.Offset+s.Size], nil
	}
	return s.Data()
}

// closers closes a file and undoes its mapping.
type closers struct {
	f     io.Closer
	unmap func()
}

func (c closers) Close() error {
	if c.unmap != nil {
		c.unmap()
	}
	return c.f.Close()
}

func newBinary(f io.ReaderAt, path string, mm []byte) (b *Binary, err error) {
	defer func() {
		// debug/elf can panic on hostile section tables in older Go
		// releases; keep that an error.
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed ELF: %v", r)
		}
	}()
	ef, err := elf.NewFile(f)
	if err != nil {
		return nil, err
	}
	b = &Binary{Path: path, f: f, ef: ef, mm: mm}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD {
			b.loads = append(b.loads, p.ProgHeader)
		}
	}
	b.BuildID, _ = elfbin.BuildIDs(ef)
	if bi, err := buildinfo.Read(f); err == nil {
		b.GoVersion = bi.GoVersion
	}
	if err := b.readPclntab(); err != nil && b.GoVersion != "" {
		b.Warnings = append(b.Warnings, fmt.Sprintf("Go pclntab unusable: %v", err))
	}
	if b.tab == nil {
		b.readSymtab()
	}
	if len(b.syms) == 0 && b.tab == nil {
		return nil, errors.New("no symbol table and no Go pclntab: nothing to symbolize with")
	}
	return b, nil
}

// ELF returns the executable's parsed ELF file, valid until Close.
func (b *Binary) ELF() *elf.File { return b.ef }

// Close releases the file.
func (b *Binary) Close() error {
	if b.closer == nil {
		return nil
	}
	return b.closer.Close()
}

// readSymtab keeps the function symbols of .symtab (or .dynsym), sorted.
// Go binaries read it only when an address falls outside the pclntab
// (cgo or assembly without Go metadata).
func (b *Binary) readSymtab() {
	if b.symsRead {
		return
	}
	b.symsRead = true
	syms, err := b.ef.Symbols()
	if err != nil || len(syms) == 0 {
		syms, _ = b.ef.DynamicSymbols()
	}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Value == 0 || len(b.syms) >= maxSymbols {
			continue
		}
		b.syms = append(b.syms, symbol{s.Value, s.Value + s.Size, s.Name})
	}
	sort.SliceStable(b.syms, func(i, j int) bool { return b.syms[i].start < b.syms[j].start })
}

// readPclntab loads .gopclntab and locates go:func.* for inline trees.
func (b *Binary) readPclntab() error {
	s := b.ef.Section(".gopclntab")
	text := b.ef.Section(".text")
	if s == nil || text == nil {
		return errors.New("no .gopclntab or .text section")
	}
	if s.Size > maxPclntabSize {
		return fmt.Errorf(".gopclntab of %d bytes exceeds %d", s.Size, maxPclntabSize)
	}
	d, err := b.sectionData(s)
	if err != nil {
		return err
	}
	t, err := parsePclntab(d, text.Addr)
	if err != nil {
		return err
	}
	b.tab = t
	if !goAtLeast(b.GoVersion, 21) {
		b.Warnings = append(b.Warnings, fmt.Sprintf("inline tree layout of %s not supported; inlined frames not expanded", b.GoVersion))
		return nil
	}
	if b.gofunc = b.findGofunc(s.Addr); b.gofunc == 0 {
		b.Warnings = append(b.Warnings, "runtime module data not found; inlined frames not expanded")
	}
	return nil
}

// goAtLeast reports whether version "go1.N[.x]" is at least go1.minor.
func goAtLeast(v string, minor int) bool {
	var n int
	if _, err := fmt.Sscanf(strings.TrimPrefix(v, "go1."), "%d", &n); err != nil {
		return false
	}
	return n >= minor
}

// Word indexes into runtime.moduledata (Go 1.21–1.26 layout): the
// pcHeader pointer, six slices, findfunctab, minpc, maxpc, then section
// bounds; checked against the ELF sections before gofunc is trusted.
const (
	mdText      = 22
	mdNoptrdata = 24
	mdData      = 26
	mdGofunc    = 40
	// Go 1.27 adds three words after types (typedesclen, and after
	// etypes itaboffset and itabsize: runtime/symtab.go), moving gofunc.
	mdGofunc127 = 43
)

// gofuncWord is moduledata's gofunc word index in Go version v.
func gofuncWord(v string) int {
	if goAtLeast(v, 27) {
		return mdGofunc127
	}
	return mdGofunc
}

// findGofunc finds runtime.firstmoduledata — in its own .go.module section
// since Go 1.26, in .noptrdata before — as the word that points at the
// pclntab followed by section bounds that match the ELF's, and returns its
// gofunc field.
func (b *Binary) findGofunc(pclntabAddr uint64) uint64 {
	for _, name := range []string{".go.module", ".noptrdata"} {
		if s := b.ef.Section(name); s != nil && s.Size <= maxPclntabSize {
			if d, err := b.sectionData(s); err == nil {
				if g := b.scanModuledata(d, pclntabAddr); g != 0 {
					return g
				}
			}
		}
	}
	return 0
}

// scanModuledata looks for a moduledata in d.
func (b *Binary) scanModuledata(d []byte, pclntabAddr uint64) uint64 {
	nd, text, data := b.ef.Section(".noptrdata"), b.ef.Section(".text"), b.ef.Section(".data")
	if nd == nil || data == nil || text == nil {
		return 0
	}
	le := binary.LittleEndian
	gofunc := gofuncWord(b.GoVersion)
	for off := 0; off+8*(gofunc+1) <= len(d); off += 8 {
		if le.Uint64(d[off:]) != pclntabAddr {
			continue
		}
		w := func(i int) uint64 { return le.Uint64(d[off+8*i:]) }
		if w(mdText) == text.Addr && w(mdNoptrdata) == nd.Addr && w(mdData) == data.Addr {
			return w(gofunc)
		}
	}
	return 0
}

// readMem reads n bytes at virtual address addr from the file image.
func (b *Binary) readMem(addr uint64, n int) []byte {
	if addr+uint64(n) < addr {
		return nil
	}
	for _, p := range b.loads {
		if addr >= p.Vaddr && addr+uint64(n) <= p.Vaddr+p.Filesz {
			if off := p.Off + addr - p.Vaddr; b.mm != nil && off < uint64(len(b.mm)) && uint64(n) <= uint64(len(b.mm))-off {
				return b.mm[off : off+uint64(n)]
			}
			buf := make([]byte, n)
			if _, err := b.f.ReadAt(buf, int64(p.Off+addr-p.Vaddr)); err != nil && err != io.EOF {
				return nil
			}
			return buf
		}
	}
	return nil
}

// AddrForOffset maps a file offset (a sample's address minus its mapping's
// start plus the mapping's page offset) to the virtual address it is loaded
// at, via the PT_LOAD program headers.
func (b *Binary) AddrForOffset(off uint64) (uint64, bool) {
	for _, p := range b.loads {
		if off >= p.Off && off < p.Off+p.Filesz {
			return p.Vaddr + off - p.Off, true
		}
	}
	return 0, false
}

// Func returns the name of the function containing addr: the Go
// runtime's name from the pclntab (as runtime.FuncForPC and pprof report
// it, so identical stripped or not), else the ELF symbol.
func (b *Binary) Func(addr uint64) (string, bool) {
	if b.tab != nil {
		if f, ok := b.tab.lookup(addr); ok {
			if n := b.tab.funcName(f.nameOff); n != "" {
				return n, true
			}
		}
	}
	return b.symbolAt(addr)
}

// symbolAt looks addr up in the ELF symbol table.
func (b *Binary) symbolAt(addr uint64) (string, bool) {
	b.readSymtab()
	i := sort.Search(len(b.syms), func(i int) bool { return b.syms[i].start > addr }) - 1
	if i < 0 || (addr >= b.syms[i].end && b.syms[i].end > b.syms[i].start) {
		return "", false
	}
	return b.syms[i].name, true
}

// Frames returns the source frames at addr, innermost first: inlined calls
// expanded from the pclntab's inline tree, then the enclosing function.
func (b *Binary) Frames(addr uint64) []Frame {
	if b.tab != nil {
		if f, ok := b.tab.lookup(addr); ok {
			var inl func(uint64, int) []byte
			if b.gofunc != 0 {
				inl = func(off uint64, n int) []byte { return b.readMem(b.gofunc+off, n) }
			}
			return b.tab.frames(f, addr, inl)
		}
	}
	if name, ok := b.symbolAt(addr); ok {
		return []Frame{{Func: name}}
	}
	return nil
}

// SPDelta returns how far the stack pointer has moved below its value at
// function entry when executing addr (the pclntab's pcsp table), exact at
// every instruction, prologue and epilogue included: on amd64 the return
// address is at SP+delta; 0 means the function has not set up a frame
// there — a frameless leaf, or the first instruction — so its return
// address is on top of the stack.
func (b *Binary) SPDelta(addr uint64) (int, bool) {
	if b.tab == nil {
		return 0, false
	}
	f, ok := b.tab.lookup(addr)
	if !ok {
		return 0, false
	}
	off := u32At(f.pcsp, 0)
	v := b.tab.pcvalue(off, f.entry, addr)
	if v < 0 {
		return 0, false
	}
	return int(v), true
}
