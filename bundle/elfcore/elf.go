// Package elfcore reads the parts of an ELF core dump that coroner needs
// before any debugger sees it: the program headers, the PT_NOTE notes
// (process info, threads, fatal signal, mapped files) and the build IDs of
// mapped ELF files whose first page the kernel dumped. Every size and offset
// is checked against the file's real length before it is used, so a hostile
// or truncated core gives an error naming the offset, never a panic or an
// allocation sized by an unchecked field.
//
// A per-kind reader: it imports no other coroner package; bundle/ingest
// sniffs cores with its Recognize.
package elfcore

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ELF constants used here (see elf(5)).
const (
	elfHeaderSize64 = 64 // sizeof(Elf64_Ehdr)
	phdrSize64      = 56 // sizeof(Elf64_Phdr), debug/elf's Prog64
	etCore          = 4  // e_type of a core file
	ptLoad          = 1
	ptNote          = 4
	elfClass64      = 2
	elfData2LSB     = 1
	elfData2MSB     = 2
)

// maxPhnum bounds the program header count. The kernel writes one PT_LOAD
// per mapping plus one PT_NOTE; mappings are capped by vm.max_map_count
// (65530 by default) and e_phnum overflows into PN_XNUM=0xffff handling
// beyond that, which we do not need: 1<<20 leaves ample headroom.
const maxPhnum = 1 << 20

// Machines coroner understands registers for (e_machine values).
const (
	emX86_64  = 62
	emAARCH64 = 183
)

// Segment is one program header of the core.
type Segment struct {
	Type   uint32 `json:"type"`
	Flags  uint32 `json:"flags"`
	Offset uint64 `json:"offset"`
	Vaddr  uint64 `json:"vaddr"`
	Filesz uint64 `json:"filesz"`
	Memsz  uint64 `json:"memsz"`
}

// ErrNotCore reports input that is not an ELF core file.
var ErrNotCore = errors.New("not an ELF core file")

// TruncatedError reports a core whose segments extend past the end of the
// file: a `ulimit -c` or a full disk cut it while it was written.
type TruncatedError struct {
	Have, Want int64
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("core truncated: %d of %d bytes (%d bytes missing)", e.Have, e.Want, e.Want-e.Have)
}

// header is the part of the ELF header we use.
type header struct {
	order     binary.ByteOrder
	machine   uint16
	phoff     uint64
	phentsize uint16
	phnum     uint16
}

// readHeader parses and checks the ELF header of a core.
func readHeader(r io.ReaderAt, size int64) (*header, error) {
	var b [elfHeaderSize64]byte
	if size < 16 {
		return nil, fmt.Errorf("%w: %d bytes is too short for an ELF header", ErrNotCore, size)
	}
	n, err := r.ReadAt(b[:], 0)
	if n < 16 {
		return nil, fmt.Errorf("reading ELF header: %w", errOr(err))
	}
	if string(b[:4]) != "\x7fELF" {
		return nil, fmt.Errorf("%w: no ELF magic at offset 0x0", ErrNotCore)
	}
	if b[4] != elfClass64 {
		return nil, fmt.Errorf("%w: ELF class %d at offset 0x4: only 64-bit cores are supported", ErrNotCore, b[4])
	}
	if n < elfHeaderSize64 {
		return nil, &TruncatedError{Have: size, Want: elfHeaderSize64}
	}
	h := &header{}
	switch b[5] {
	case elfData2LSB:
		h.order = binary.LittleEndian
	case elfData2MSB:
		h.order = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: bad ELF data encoding %d at offset 0x5", ErrNotCore, b[5])
	}
	if t := h.order.Uint16(b[16:]); t != etCore {
		return nil, fmt.Errorf("%w: ELF type %d at offset 0x10 (want %d, ET_CORE)", ErrNotCore, t, etCore)
	}
	h.machine = h.order.Uint16(b[18:])
	h.phoff = h.order.Uint64(b[32:])
	h.phentsize = h.order.Uint16(b[54:])
	h.phnum = h.order.Uint16(b[56:])
	if h.phentsize != phdrSize64 {
		return nil, fmt.Errorf("ELF header: program header size %d at offset 0x36, want %d", h.phentsize, phdrSize64)
	}
	if h.phnum == 0 {
		return nil, fmt.Errorf("ELF header: no program headers (e_phnum 0 at offset 0x38)")
	}
	return h, nil
}

// readSegments reads the program header table.
func readSegments(r io.ReaderAt, size int64, h *header) ([]Segment, error) {
	tableEnd := h.phoff + uint64(h.phnum)*phdrSize64
	if h.phoff > uint64(size) || tableEnd > uint64(size) || tableEnd < h.phoff {
		if h.phoff < 1<<40 && tableEnd <= 1<<40 {
			return nil, &TruncatedError{Have: size, Want: int64(tableEnd)}
		}
		return nil, fmt.Errorf("program header table at offset %#x (%d entries) lies past end of file (%d bytes)", h.phoff, h.phnum, size)
	}
	if int(h.phnum) > maxPhnum {
		return nil, fmt.Errorf("program header count %d exceeds %d", h.phnum, maxPhnum)
	}
	segs := make([]Segment, 0, h.phnum)
	buf := make([]byte, phdrSize64)
	for i := 0; i < int(h.phnum); i++ {
		off := int64(h.phoff) + int64(i)*phdrSize64
		if _, err := r.ReadAt(buf, off); err != nil {
			return nil, fmt.Errorf("reading program header %d at offset %#x: %w", i, off, errOr(err))
		}
		var ph elf.Prog64
		if _, err := binary.Decode(buf, h.order, &ph); err != nil {
			return nil, fmt.Errorf("decoding program header %d at offset %#x: %w", i, off, err)
		}
		s := Segment{Type: ph.Type, Flags: ph.Flags, Offset: ph.Off, Vaddr: ph.Vaddr, Filesz: ph.Filesz, Memsz: ph.Memsz}
		if s.Offset+s.Filesz < s.Offset {
			return nil, fmt.Errorf("program header %d at offset %#x: segment offset %#x + size %#x overflows", i, off, s.Offset, s.Filesz)
		}
		segs = append(segs, s)
	}
	return segs, nil
}

// errOr turns a nil error from a short read into io.ErrUnexpectedEOF.
func errOr(err error) error {
	if err == nil || err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
