// Package perfdata reads Linux perf.data files — the output of perf record,
// in file or pipe mode — as a stream of records, and converts the samples
// into a symbolized google/pprof profile.
//
// The layout follows the kernel's perf_event ABI (linux/perf_event.h) and
// perf's on-disk format (tools/perf/Documentation/perf.data-file-format.txt).
// Only little-endian files are read; every size and count in the file is
// checked against the bytes actually present before it is used.
//
// A per-kind reader: of coroner's packages it imports only
// bundle/symbolize; bundle/ingest sniffs perf.data with its Recognize.
package perfdata

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// magic is "PERFILE2" read as a little-endian u64.
const magic = 0x32454c4946524550

// magicSwapped is the same magic written by a big-endian machine.
const magicSwapped = 0x50455246494c4532

// Sizes fixed by the format.
const (
	pipeHeaderSize = 16  // magic + size: all a pipe-mode header holds
	fileHeaderSize = 104 // magic, size, attr_size, 3 sections, 256-bit feature bitmap
	recHeaderSize  = 8   // struct perf_event_header: u32 type, u16 misc, u16 size
	featBits       = 256 // HEADER_FEAT_BITS
)

// le is the byte order of every file this package accepts.
var le = binary.LittleEndian

// ErrBadMagic is returned when the bytes do not start with "PERFILE2".
var ErrBadMagic = errors.New("not a perf.data file (magic is not PERFILE2)")

// section is struct perf_file_section: a byte range of the file.
type section struct{ Offset, Size uint64 }

// fileHeader is struct perf_file_header, or the 16 bytes of a pipe header.
type fileHeader struct {
	Pipe     bool
	AttrSize uint64
	Attrs    section
	Data     section
	Features [featBits / 64]uint64 // adds_features bitmap
	// Truncated is set when the data section runs past the end of the
	// file: it was cut short, and Data was clamped to what is there.
	Truncated bool
}

// hasFeature reports whether feature bit f is set.
func (h *fileHeader) hasFeature(f int) bool {
	return f >= 0 && f < featBits && h.Features[f/64]&(1<<(f%64)) != 0
}

// readHeader parses the file header from the first bytes of a perf.data.
// size is the file size, or -1 when unknown (a pipe).
func readHeader(r io.Reader, size int64) (*fileHeader, error) {
	var b [fileHeaderSize]byte
	if _, err := io.ReadFull(r, b[:pipeHeaderSize]); err != nil {
		return nil, fmt.Errorf("reading header at offset 0x0: %w", noEOF(err))
	}
	switch le.Uint64(b[0:]) {
	case magic:
	case magicSwapped:
		return nil, errors.New("big-endian perf.data files are not supported")
	default:
		return nil, ErrBadMagic
	}
	h := &fileHeader{}
	hsize := le.Uint64(b[8:])
	if hsize == pipeHeaderSize {
		h.Pipe = true
		return h, nil
	}
	if hsize < fileHeaderSize {
		return nil, fmt.Errorf("header size %d at offset 0x8 is neither %d (pipe) nor at least %d (file)", hsize, pipeHeaderSize, fileHeaderSize)
	}
	if _, err := io.ReadFull(r, b[pipeHeaderSize:]); err != nil {
		return nil, fmt.Errorf("reading header at offset 0x%x: %w", pipeHeaderSize, noEOF(err))
	}
	h.AttrSize = le.Uint64(b[16:])
	h.Attrs = section{le.Uint64(b[24:]), le.Uint64(b[32:])}
	h.Data = section{le.Uint64(b[40:]), le.Uint64(b[48:])}
	// b[56:72] is the unused event_types section.
	for i := range h.Features {
		h.Features[i] = le.Uint64(b[72+8*i:])
	}
	if size >= 0 {
		for _, s := range []struct {
			name string
			sec  section
			at   int
		}{{"attrs", h.Attrs, 24}} {
			if s.sec.Offset > uint64(size) || s.sec.Size > uint64(size)-s.sec.Offset {
				return nil, fmt.Errorf("%s section at offset 0x%x (0x%x+0x%x) points past the end of the file (0x%x bytes)",
					s.name, s.at, s.sec.Offset, s.sec.Size, size)
			}
		}
	}
	if size >= 0 && (h.Data.Offset > uint64(size) || h.Data.Size > uint64(size)-h.Data.Offset) {
		if h.Data.Offset > uint64(size) {
			return nil, fmt.Errorf("data section at offset 0x28 starts at 0x%x, past the end of the file (0x%x bytes)", h.Data.Offset, size)
		}
		h.Data.Size = uint64(size) - h.Data.Offset
		h.Truncated = true
	}
	return h, nil
}

// noEOF turns a clean io.EOF into io.ErrUnexpectedEOF: a header cut short is
// truncation, not an empty file.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
