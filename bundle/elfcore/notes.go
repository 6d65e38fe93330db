package elfcore

import (
	"bytes"
	"fmt"
	"io"
)

// Note types the kernel writes into a core's PT_NOTE segment (see
// include/uapi/linux/elf.h).
const (
	ntPrstatus  = 1
	ntPrpsinfo  = 3
	ntAuxv      = 6
	ntSiginfo   = 0x53494749 // "SIGI"
	ntFile      = 0x46494c45 // "FILE"
	ntGNUBuild  = 3          // NT_GNU_BUILD_ID, owner "GNU"
	ntGoBuildID = 4          // Go's build ID note, owner "Go"
)

// Size caps for note descriptors we decode. A descriptor larger than its
// cap is reported and skipped, never allocated.
const (
	// maxSmallNote bounds prstatus/prpsinfo/siginfo/auxv: the largest is
	// arm64's elf_prstatus at 392 bytes; 4 KiB is generous.
	maxSmallNote = 4 << 10
	// maxFileNote bounds NT_FILE: 24 bytes plus a path per mapping, with
	// mappings capped by vm.max_map_count (65530 by default); at PATH_MAX
	// (4096) per path that is ~270 MiB in theory, but real paths average far
	// below 256 bytes, so 32 MiB covers every realistic process.
	maxFileNote = 32 << 20
	// maxNameSize bounds a note's owner name ("CORE", "LINUX", "GNU", "Go").
	maxNameSize = 64
)

// note is one note's header and where its descriptor lies in the file.
type note struct {
	name    string
	typ     uint32
	descOff int64
	descSz  uint32
}

// noteIter walks the notes of one PT_NOTE segment without reading
// descriptors it does not need.
type noteIter struct {
	r     io.ReaderAt
	h     *header
	off   int64 // next note header
	end   int64 // end of the segment's readable bytes
	where string
}

// next returns the next note, io.EOF at the end of the segment, or an error
// naming the offset of a note whose sizes overrun its segment.
func (it *noteIter) next() (note, error) {
	if it.off+12 > it.end {
		return note{}, io.EOF
	}
	var hb [12]byte
	if _, err := it.r.ReadAt(hb[:], it.off); err != nil {
		return note{}, fmt.Errorf("%s: reading note header at offset %#x: %w", it.where, it.off, errOr(err))
	}
	namesz := it.h.order.Uint32(hb[0:])
	descsz := it.h.order.Uint32(hb[4:])
	typ := it.h.order.Uint32(hb[8:])
	nameOff := it.off + 12
	descOff := nameOff + int64(align4(namesz))
	next := descOff + int64(align4(descsz))
	if namesz > maxNameSize {
		return note{}, fmt.Errorf("%s: note at offset %#x: name size %#x exceeds %d", it.where, it.off, namesz, maxNameSize)
	}
	if next > it.end || descOff > it.end {
		return note{}, fmt.Errorf("%s: note at offset %#x (type %#x): descriptor size %#x runs past the segment end at %#x", it.where, it.off, typ, descsz, it.end)
	}
	nb := make([]byte, namesz)
	if _, err := it.r.ReadAt(nb, nameOff); err != nil {
		return note{}, fmt.Errorf("%s: reading note name at offset %#x: %w", it.where, nameOff, errOr(err))
	}
	it.off = next
	return note{name: string(bytes.TrimRight(nb, "\x00")), typ: typ, descOff: descOff, descSz: descsz}, nil
}

// desc reads a note's descriptor if it is at most max bytes.
func (n note) desc(r io.ReaderAt, max int) ([]byte, error) {
	if int64(n.descSz) > int64(max) {
		return nil, fmt.Errorf("note type %#x at offset %#x: descriptor size %#x exceeds limit %#x", n.typ, n.descOff, n.descSz, max)
	}
	b := make([]byte, n.descSz)
	if _, err := r.ReadAt(b, n.descOff); err != nil {
		return nil, fmt.Errorf("reading note type %#x at offset %#x: %w", n.typ, n.descOff, errOr(err))
	}
	return b, nil
}

// align4 rounds up to the 4-byte alignment ELF notes use in cores.
func align4(n uint32) uint64 { return (uint64(n) + 3) &^ 3 }

// cstring returns b up to its first NUL.
func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
