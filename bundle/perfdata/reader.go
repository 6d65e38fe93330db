package perfdata

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/coroner/coroner/bundle"
)

// readBufSize is the reader's buffer: large enough for any record (sizes
// are u16, so ≤ 64 KiB) and for few, large reads.
const readBufSize = 256 << 10

// maxWarnings bounds the distinct warnings kept; further ones are counted.
const maxWarnings = 32

// Reader streams the records of one perf.data file.
type Reader struct {
	// Attrs are the event attributes, in file order. In pipe mode they
	// grow as HEADER_ATTR records arrive.
	Attrs []*EventAttr
	// Features holds the header feature sections (file mode: read when
	// the reader is created; pipe mode: filled as feature records arrive).
	Features Features
	// Pipe reports a pipe-mode file (perf record -o -).
	Pipe bool

	br       *bufio.Reader
	closer   io.Closer
	off, end int64 // offset of the next record; end of data (-1: unknown)
	byID     map[uint64]*EventAttr
	sample   Sample
	mmap     Mmap
	comm     Comm
	task     Task
	lost     Lost
	throttle Throttle
	cgroup   Cgroup
	other    Other
	scratch  []byte
	warns    []string
	dropped  int
	unknown  map[uint32]bool
	done     bool
	samples  int64
	// skipChains leaves Sample.Callchain empty (still bounds-checked):
	// flat profiles need only the IP.
	skipChains bool
}

// Open opens a perf.data file for streaming; Close releases it.
func Open(path string) (*Reader, error) {
	f, size, err := bundle.OpenSized(path)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(f, size)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.closer = f
	return r, nil
}

// Close closes the file opened by Open.
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// NewReader reads the header, attributes and feature sections of the
// perf.data held in ra (size bytes) and positions the reader at the first
// record. Pipe-mode files are accepted as well.
func NewReader(ra io.ReaderAt, size int64) (*Reader, error) {
	h, err := readHeader(io.NewSectionReader(ra, 0, size), size)
	if err != nil {
		return nil, err
	}
	r := &Reader{Pipe: h.Pipe, byID: map[uint64]*EventAttr{}, unknown: map[uint32]bool{}}
	if h.Pipe {
		r.off, r.end = pipeHeaderSize, size
		r.br = bufio.NewReaderSize(io.NewSectionReader(ra, pipeHeaderSize, size-pipeHeaderSize), bufSize(size))
		return r, nil
	}
	if err := r.readAttrs(ra, h, size); err != nil {
		return nil, err
	}
	if h.Truncated {
		r.warnf("file truncated: the data section runs past the end of the file at offset 0x%x; reading the records present", size)
	} else {
		r.readFeatures(ra, h, size)
	}
	r.off, r.end = int64(h.Data.Offset), int64(h.Data.Offset+h.Data.Size)
	if h.Data.Size == 0 {
		r.warnf("data section is empty (perf record did not finish writing the file?)")
	}
	r.br = bufio.NewReaderSize(io.NewSectionReader(ra, r.off, r.end-r.off), bufSize(r.end-r.off))
	return r, nil
}

// minBufSize holds the largest record (its size field is a u16).
const minBufSize = 64 << 10

// bufSize sizes the read buffer: no larger than the data, never smaller
// than a record.
func bufSize(data int64) int {
	if data < readBufSize {
		return max(int(data), minBufSize)
	}
	return readBufSize
}

// readAttrs reads the attribute section and each attribute's sample IDs.
func (r *Reader) readAttrs(ra io.ReaderAt, h *fileHeader, size int64) error {
	if h.AttrSize < attrSizeVer0+16 || h.AttrSize > maxAttrSize {
		return fmt.Errorf("attribute size %d at offset 0x10 is out of range (%d..%d)", h.AttrSize, attrSizeVer0+16, maxAttrSize)
	}
	n := h.Attrs.Size / h.AttrSize
	if n == 0 || n > maxAttrs {
		return fmt.Errorf("attribute section at offset 0x%x holds %d attributes (want 1..%d)", h.Attrs.Offset, n, maxAttrs)
	}
	buf := make([]byte, h.AttrSize)
	for i := uint64(0); i < n; i++ {
		at := int64(h.Attrs.Offset + i*h.AttrSize)
		if _, err := ra.ReadAt(buf, at); err != nil {
			return fmt.Errorf("reading attribute %d at offset 0x%x: %w", i, at, noEOF(err))
		}
		asz := uint64(h.AttrSize - 16) // perf_file_attr = attr + ids section
		a, err := parseAttr(buf[:asz])
		if err != nil {
			return fmt.Errorf("attribute %d at offset 0x%x: %w", i, at, err)
		}
		ids := section{le.Uint64(buf[asz:]), le.Uint64(buf[asz+8:])}
		if ids.Size%8 != 0 || ids.Size/8 > maxIDsPerAttr || ids.Offset > uint64(size) || ids.Size > uint64(size)-ids.Offset {
			return fmt.Errorf("attribute %d at offset 0x%x: ID section size %d is invalid", i, at, ids.Size)
		}
		if ids.Size > 0 {
			raw := make([]byte, ids.Size)
			if _, err := ra.ReadAt(raw, int64(ids.Offset)); err != nil {
				return fmt.Errorf("attribute %d: reading IDs at offset 0x%x: %w", i, ids.Offset, noEOF(err))
			}
			for j := 0; j < len(raw); j += 8 {
				a.IDs = append(a.IDs, le.Uint64(raw[j:]))
			}
		}
		r.addAttr(a)
	}
	return nil
}

// addAttr registers an attribute and its IDs.
func (r *Reader) addAttr(a *EventAttr) {
	r.Attrs = append(r.Attrs, a)
	for _, id := range a.IDs {
		r.byID[id] = a
	}
}

// readFeatures reads the feature sections that follow the data section.
// Damaged features become warnings: they describe, they do not decode.
func (r *Reader) readFeatures(ra io.ReaderAt, h *fileHeader, size int64) {
	at := int64(h.Data.Offset + h.Data.Size)
	var sec [16]byte
	for f := 0; f < featBits; f++ {
		if !h.hasFeature(f) {
			continue
		}
		if _, err := ra.ReadAt(sec[:], at); err != nil {
			r.warnf("feature table at offset 0x%x: %v", at, noEOF(err))
			return
		}
		at += 16
		s := section{le.Uint64(sec[:]), le.Uint64(sec[8:])}
		if f == featTracingData || !decodedFeature(f) {
			continue
		}
		if s.Offset > uint64(size) || s.Size > uint64(size)-s.Offset || s.Size > maxFeatureSize {
			r.warnf("feature %d section 0x%x+0x%x points past the end of the file", f, s.Offset, s.Size)
			continue
		}
		b := make([]byte, s.Size)
		if _, err := ra.ReadAt(b, int64(s.Offset)); err != nil {
			r.warnf("feature %d at offset 0x%x: %v", f, s.Offset, noEOF(err))
			continue
		}
		if err := parseFeature(f, b, &r.Features); err != nil {
			r.warnf("feature %d at offset 0x%x: %v", f, s.Offset, err)
		}
	}
	r.nameAttrs()
}

// decodedFeature reports whether parseFeature understands feature f.
func decodedFeature(f int) bool {
	switch f {
	case featBuildID, featHostname, featOSRelease, featVersion, featArch, featNrCPUs,
		featCPUDesc, featCPUID, featTotalMem, featCmdline, featEventDesc, featSampleTime:
		return true
	}
	return false
}

// nameAttrs gives attributes the names from the event-description feature.
func (r *Reader) nameAttrs() {
	for _, e := range r.Features.Events {
		for _, id := range e.IDs {
			if a := r.byID[id]; a != nil && e.Name != "" {
				a.Name = e.Name
			}
		}
	}
	if len(r.Attrs) == 1 && len(r.Features.Events) == 1 && r.Features.Events[0].Name != "" {
		r.Attrs[0].Name = r.Features.Events[0].Name
	}
}

// Warnings returns the non-fatal problems met so far: damaged features,
// malformed records skipped, unknown record types, truncation.
func (r *Reader) Warnings() []string {
	w := append([]string(nil), r.warns...)
	if r.dropped > 0 {
		w = append(w, fmt.Sprintf("%d further warnings not shown", r.dropped))
	}
	return w
}

func (r *Reader) warnf(format string, args ...any) {
	if len(r.warns) >= maxWarnings {
		r.dropped++
		return
	}
	r.warns = append(r.warns, fmt.Sprintf(format, args...))
}

// Samples returns the number of SAMPLE records returned so far.
func (r *Reader) Samples() int64 { return r.samples }

// Next returns the next record, or io.EOF after the last. A file cut short
// ends with io.EOF and a warning naming the offset. The returned record and
// its slices are reused by the following call.
func (r *Reader) Next() (Record, error) {
	for !r.done {
		rec, err := r.next()
		if err != nil || rec != nil {
			return rec, err
		}
	}
	return nil, io.EOF
}

// next reads one record; it returns (nil, nil) for records consumed
// internally (attributes, features in pipe mode) or skipped as malformed.
func (r *Reader) next() (Record, error) {
	if r.end >= 0 && r.off >= r.end {
		r.done = true
		return nil, nil
	}
	hb, err := r.br.Peek(recHeaderSize)
	if err != nil {
		r.done = true
		if len(hb) == 0 && errors.Is(err, io.EOF) && (r.Pipe || r.end < 0) {
			return nil, nil
		}
		r.warnf("file truncated: record header at offset 0x%x is cut short after %d samples", r.off, r.samples)
		return nil, nil
	}
	h := Header{Type: le.Uint32(hb), Misc: le.Uint16(hb[4:]), Size: le.Uint16(hb[6:]), Offset: r.off}
	if h.Size < recHeaderSize {
		// Without a size the next record cannot be found: stop here and
		// keep what was read.
		r.done = true
		r.warnf("record at offset 0x%x has size %d, smaller than its header; stopped after %d samples", r.off, h.Size, r.samples)
		return nil, nil
	}
	rec, err := r.br.Peek(int(h.Size))
	if err != nil {
		r.done = true
		r.warnf("file truncated: record of %d bytes at offset 0x%x is cut short after %d samples", h.Size, r.off, r.samples)
		return nil, nil
	}
	body := rec[recHeaderSize:]
	out, skip, err := r.decode(h, body)
	r.br.Discard(int(h.Size))
	r.off += int64(h.Size)
	if err != nil {
		return nil, err
	}
	if skip > 0 {
		if _, err := r.br.Discard(int(skip)); err != nil {
			r.done = true
			r.warnf("file truncated: payload of record at offset 0x%x is cut short", h.Offset)
			return nil, nil
		}
		r.off += skip
	}
	return out, nil
}
