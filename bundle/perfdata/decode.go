package perfdata

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
)

// decode turns a record body into a Record. skip is payload that follows
// the record outside its size (AUXTRACE data).
func (r *Reader) decode(h Header, body []byte) (rec Record, skip int64, err error) {
	switch h.Type {
	case RecordSample:
		a := r.sampleAttr(body)
		if a == nil {
			r.warnf("sample at offset 0x%x comes before any event attribute; skipped", h.Offset)
			return nil, 0, nil
		}
		r.sample.Header = h
		if err := decodeSample(&r.sample, a, body, h.Offset, r.skipChains); err != nil {
			r.warnf("%v; skipped", err)
			return nil, 0, nil
		}
		r.samples++
		return &r.sample, 0, nil
	case RecordMmap, RecordMmap2:
		if !r.decodeMmap(h, body) {
			r.warnf("mmap record at offset 0x%x is %d bytes, too short; skipped", h.Offset, h.Size)
			return nil, 0, nil
		}
		return &r.mmap, 0, nil
	case RecordComm:
		b := r.trimID(body)
		if len(b) < 8 {
			return r.short(h)
		}
		r.comm = Comm{Header: h, PID: le.Uint32(b), TID: le.Uint32(b[4:]), Comm: cstring(b[8:])}
		r.comm.IDTrailer = r.sampleID(body)
		return &r.comm, 0, nil
	case RecordCgroup:
		b := r.trimID(body)
		if len(b) < 8 {
			return r.short(h)
		}
		r.cgroup = Cgroup{Header: h, ID: le.Uint64(b), Path: cstring(b[8:]), IDTrailer: r.sampleID(body)}
		return &r.cgroup, 0, nil
	case RecordFork, RecordExit:
		if len(body) < 24 {
			return r.short(h)
		}
		r.task = Task{Header: h, PID: le.Uint32(body), PPID: le.Uint32(body[4:]), TID: le.Uint32(body[8:]),
			PTID: le.Uint32(body[12:]), Time: le.Uint64(body[16:]), IDTrailer: r.sampleID(body)}
		return &r.task, 0, nil
	case RecordLost:
		if len(body) < 16 {
			return r.short(h)
		}
		r.lost = Lost{Header: h, ID: le.Uint64(body), Lost: le.Uint64(body[8:]), IDTrailer: r.sampleID(body)}
		return &r.lost, 0, nil
	case RecordThrottle, RecordUnthrottle:
		if len(body) < 24 {
			return r.short(h)
		}
		r.throttle = Throttle{Header: h, Time: le.Uint64(body), ID: le.Uint64(body[8:]), StreamID: le.Uint64(body[16:]), IDTrailer: r.sampleID(body)}
		return &r.throttle, 0, nil
	case RecordHeaderAttr:
		return nil, 0, r.decodeHeaderAttr(h, body)
	case RecordHeaderFeature:
		if len(body) >= 8 {
			if err := parseFeature(int(le.Uint64(body)), body[8:], &r.Features); err != nil {
				r.warnf("feature record at offset 0x%x: %v", h.Offset, err)
			}
			r.nameAttrs()
		}
		return nil, 0, nil
	case RecordHeaderBuildID:
		ids, err := parseBuildIDs(append(r.scratch[:0], append(hbytes(h), body...)...))
		if err != nil {
			r.warnf("build-ID record at offset 0x%x: %v", h.Offset, err)
		}
		r.Features.BuildIDs = append(r.Features.BuildIDs, ids...)
		return nil, 0, nil
	case RecordAuxtrace:
		if len(body) < 8 {
			return r.short(h)
		}
		skip := le.Uint64(body)
		if r.end >= 0 && skip > uint64(r.end-r.off-int64(h.Size)) {
			r.done = true
			r.warnf("file truncated: AUXTRACE payload of %d bytes at offset 0x%x runs past the end", skip, h.Offset)
			return nil, 0, nil
		}
		r.other = Other{Header: h, Body: body}
		return &r.other, int64(skip), nil
	case RecordCompressed, RecordCompressed2:
		return nil, 0, fmt.Errorf("record at offset 0x%x is zstd-compressed (perf record -z); re-record without -z or run perf inject to decompress", h.Offset)
	}
	if (h.Type > recordKnownKernelMax && h.Type < RecordHeaderAttr) || h.Type > recordKnownUserMax || h.Type == 0 {
		if !r.unknown[h.Type] {
			r.unknown[h.Type] = true
			r.warnf("unknown record type %d at offset 0x%x; skipped by size", h.Type, h.Offset)
		}
	}
	r.other = Other{Header: h, Body: body}
	return &r.other, 0, nil
}

func (r *Reader) short(h Header) (Record, int64, error) {
	r.warnf("record type %d at offset 0x%x is %d bytes, too short; skipped", h.Type, h.Offset, h.Size)
	return nil, 0, nil
}

// hbytes re-encodes a record header (build-ID records are parsed whole).
func hbytes(h Header) []byte {
	var b [recHeaderSize]byte
	le.PutUint32(b[:], h.Type)
	le.PutUint16(b[4:], h.Misc)
	le.PutUint16(b[6:], h.Size)
	return b[:]
}

// decodeHeaderAttr reads a pipe-mode HEADER_ATTR: an attribute followed by
// its sample IDs.
func (r *Reader) decodeHeaderAttr(h Header, body []byte) error {
	asz := attrDeclaredSize(body)
	if asz < attrSizeVer0 || int(asz) > len(body) {
		return fmt.Errorf("attribute record at offset 0x%x declares size %d in a %d-byte record", h.Offset, asz, h.Size)
	}
	if len(r.Attrs) >= maxAttrs {
		return fmt.Errorf("attribute record at offset 0x%x: more than %d attributes", h.Offset, maxAttrs)
	}
	a, err := parseAttr(body[:asz])
	if err != nil {
		return fmt.Errorf("attribute record at offset 0x%x: %w", h.Offset, err)
	}
	for ids := body[asz:]; len(ids) >= 8; ids = ids[8:] {
		a.IDs = append(a.IDs, le.Uint64(ids))
	}
	r.addAttr(a)
	r.nameAttrs()
	return nil
}

// sampleAttr finds the attribute a SAMPLE body belongs to.
func (r *Reader) sampleAttr(body []byte) *EventAttr {
	if len(r.Attrs) <= 1 {
		if len(r.Attrs) == 0 {
			return nil
		}
		return r.Attrs[0]
	}
	if p := idPos(r.Attrs[0].SampleType); p >= 0 && len(body) >= 8*(p+1) {
		if a := r.byID[le.Uint64(body[8*p:])]; a != nil {
			return a
		}
	}
	return r.Attrs[0]
}

// recordAttr finds the attribute of a non-sample record via its trailer.
func (r *Reader) recordAttr(body []byte) *EventAttr {
	if len(r.Attrs) == 0 {
		return nil
	}
	a0 := r.Attrs[0]
	if !a0.SampleIDAll() {
		return nil
	}
	if len(r.Attrs) > 1 {
		if p := idPosFromEnd(a0.SampleType); p > 0 && len(body) >= 8*p {
			if a := r.byID[le.Uint64(body[len(body)-8*p:])]; a != nil {
				return a
			}
		}
	}
	return a0
}

// sampleID decodes a non-sample record's sample_id trailer, if any.
func (r *Reader) sampleID(body []byte) IDTrailer {
	if a := r.recordAttr(body); a != nil {
		id, _ := decodeSampleID(a.SampleType, body)
		return id
	}
	return IDTrailer{}
}

// trimID returns body without its sample_id trailer.
func (r *Reader) trimID(body []byte) []byte {
	if a := r.recordAttr(body); a != nil {
		if n := sampleIDSize(a.SampleType); n <= len(body) {
			return body[:len(body)-n]
		}
	}
	return body
}

// decodeMmap fills r.mmap from an MMAP or MMAP2 body.
func (r *Reader) decodeMmap(h Header, body []byte) bool {
	m := Mmap{Header: h, IDTrailer: r.sampleID(body)}
	b := r.trimID(body)
	if len(b) < 32 {
		return false
	}
	m.PID, m.TID = le.Uint32(b), le.Uint32(b[4:])
	m.Addr, m.Len, m.Pgoff = le.Uint64(b[8:]), le.Uint64(b[16:]), le.Uint64(b[24:])
	b = b[32:]
	if h.Type == RecordMmap2 {
		if len(b) < 32 {
			return false
		}
		if h.Misc&miscMmapBuildID != 0 {
			n := int(b[0])
			if n > 20 {
				n = 20
			}
			m.BuildID = hex.EncodeToString(b[4 : 4+n])
		} else {
			m.Maj, m.Min = le.Uint32(b), le.Uint32(b[4:])
			m.Ino, m.InoGeneration = le.Uint64(b[8:]), le.Uint64(b[16:])
		}
		m.Prot, m.Flags = le.Uint32(b[24:]), le.Uint32(b[28:])
		b = b[32:]
	}
	m.Filename = cstring(b)
	r.mmap = m
	return true
}

// cstring returns b up to its first NUL.
func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
