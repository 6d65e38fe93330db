package perfdata

import (
	"bytes"
	"encoding/hex"
	"fmt"
)

// Feature IDs (perf's HEADER_* enum) this package decodes.
const (
	featTracingData = 1
	featBuildID     = 2
	featHostname    = 3
	featOSRelease   = 4
	featVersion     = 5
	featArch        = 6
	featNrCPUs      = 7
	featCPUDesc     = 8
	featCPUID       = 9
	featTotalMem    = 10
	featCmdline     = 11
	featEventDesc   = 12
	featSampleTime  = 21
)

// maxFeatureSize bounds one feature section read into memory. Build-ID
// tables of hosts with thousands of DSOs stay in the low megabytes.
const maxFeatureSize = 64 << 20

// maxStrings bounds a string list (e.g. cmdline arguments).
const maxStrings = 1 << 16

// buildIDMiscSize is PERF_RECORD_MISC_BUILD_ID_SIZE: the build-ID event
// carries the ID's real length in the byte after its first 20.
const buildIDMiscSize = 1 << 15

// BuildID is one entry of the build-ID feature: a DSO perf saw samples in.
type BuildID struct {
	PID  int32
	Misc uint16 // cpumode of the DSO (kernel, user, …)
	ID   string // hex
	Path string
}

// EventDesc is one entry of the event-description feature.
type EventDesc struct {
	Name string
	IDs  []uint64
	Attr *EventAttr
}

// Features holds the decoded header feature sections.
type Features struct {
	Hostname, OSRelease, Version, Arch, CPUDesc, CPUID string
	NrCPUsAvailable, NrCPUsOnline                      uint32
	TotalMemKB                                         uint64
	Cmdline                                            []string
	BuildIDs                                           []BuildID
	Events                                             []EventDesc
	// FirstSampleTime and LastSampleTime are perf clock nanoseconds.
	FirstSampleTime, LastSampleTime uint64
}

// featureReader decodes one feature section held in b.
type featureReader struct {
	b   []byte
	off int
	err error
}

func (r *featureReader) u32() uint32 {
	if b := r.fixed(4, "u32"); b != nil {
		return le.Uint32(b)
	}
	return 0
}

func (r *featureReader) u64() uint64 {
	if b := r.fixed(8, "u64"); b != nil {
		return le.Uint64(b)
	}
	return 0
}

// fixed returns the next n bytes, or nil (failing the read as a what)
// when fewer are left.
func (r *featureReader) fixed(n int, what string) []byte {
	if r.err != nil || len(r.b)-r.off < n {
		r.fail(what)
		return nil
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b
}

// str reads struct perf_header_string: u32 len, then len bytes, NUL padded.
func (r *featureReader) str() string {
	n := r.u32()
	if r.err != nil {
		return ""
	}
	if uint64(n) > uint64(len(r.b)-r.off) {
		r.err = fmt.Errorf("string of %d bytes at feature offset 0x%x runs past the section (%d bytes)", n, r.off-4, len(r.b))
		return ""
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return string(s)
}

func (r *featureReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s at feature offset 0x%x runs past the section (%d bytes)", what, r.off, len(r.b))
	}
}

// stringFeature returns the field of f that feature id fills when the
// feature is a single struct perf_header_string (hostname, OS release, perf
// version, arch, CPU description, CPUID: write_hostname … write_cpuid in
// perf's util/header.c all do_write_string), or nil.
func stringFeature(id int, f *Features) *string {
	fields := [...]struct {
		id  int
		dst *string
	}{
		{featHostname, &f.Hostname}, {featOSRelease, &f.OSRelease}, {featVersion, &f.Version},
		{featArch, &f.Arch}, {featCPUDesc, &f.CPUDesc}, {featCPUID, &f.CPUID},
	}
	for _, s := range fields {
		if s.id == id {
			return s.dst
		}
	}
	return nil
}

// parseFeature decodes feature id from b into f. Unknown features are ignored.
func parseFeature(id int, b []byte, f *Features) error {
	r := &featureReader{b: b}
	if dst := stringFeature(id, f); dst != nil {
		*dst = r.str()
		return r.err
	}
	switch id {
	case featNrCPUs:
		f.NrCPUsAvailable = r.u32()
		f.NrCPUsOnline = r.u32()
	case featTotalMem:
		f.TotalMemKB = r.u64()
	case featSampleTime:
		f.FirstSampleTime = r.u64()
		f.LastSampleTime = r.u64()
	case featCmdline:
		n := r.u32()
		if n > maxStrings {
			return fmt.Errorf("cmdline feature claims %d strings (limit %d)", n, maxStrings)
		}
		f.Cmdline = f.Cmdline[:0]
		for i := uint32(0); i < n && r.err == nil; i++ {
			f.Cmdline = append(f.Cmdline, r.str())
		}
	case featBuildID:
		ids, err := parseBuildIDs(b)
		if err != nil {
			return err
		}
		f.BuildIDs = append(f.BuildIDs, ids...)
	case featEventDesc:
		return parseEventDesc(r, f)
	}
	return r.err
}

// parseBuildIDs decodes a sequence of struct build_id_event.
func parseBuildIDs(b []byte) ([]BuildID, error) {
	var out []BuildID
	for off := 0; off < len(b); {
		if len(b)-off < recHeaderSize+4+24 {
			return out, fmt.Errorf("build-ID entry at feature offset 0x%x is cut short", off)
		}
		misc := le.Uint16(b[off+4:])
		size := int(le.Uint16(b[off+6:]))
		if size < recHeaderSize+4+24 || size > len(b)-off {
			return out, fmt.Errorf("build-ID entry at feature offset 0x%x has bad size %d", off, size)
		}
		e := b[off : off+size]
		id := e[12:32]
		if misc&buildIDMiscSize != 0 {
			if n := int(e[32]); n <= 20 {
				id = e[12 : 12+n]
			}
		}
		name := e[36:]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		out = append(out, BuildID{
			PID:  int32(le.Uint32(e[8:])),
			Misc: misc &^ buildIDMiscSize,
			ID:   hex.EncodeToString(id),
			Path: string(name),
		})
		off += size
	}
	return out, nil
}

// parseEventDesc decodes the event-description feature: u32 nr, u32
// attr_size, then per event the attr, u32 nr_ids, the name and the IDs.
func parseEventDesc(r *featureReader, f *Features) error {
	n := r.u32()
	asz := r.u32()
	if r.err != nil {
		return r.err
	}
	if n > maxAttrs || asz < attrSizeVer0 || asz > maxAttrSize {
		return fmt.Errorf("event-description feature has %d events of %d bytes (limits %d, %d..%d)", n, asz, maxAttrs, attrSizeVer0, maxAttrSize)
	}
	f.Events = f.Events[:0]
	for i := uint32(0); i < n; i++ {
		if uint64(asz) > uint64(len(r.b)-r.off) {
			return fmt.Errorf("event %d's attribute at feature offset 0x%x runs past the section", i, r.off)
		}
		attr, err := parseAttr(r.b[r.off : r.off+int(asz)])
		if err != nil {
			return err
		}
		r.off += int(asz)
		nids := r.u32()
		name := r.str()
		if r.err != nil {
			return r.err
		}
		if uint64(nids)*8 > uint64(len(r.b)-r.off) {
			return fmt.Errorf("event %q claims %d IDs at feature offset 0x%x, more than the section holds", name, nids, r.off)
		}
		ids := make([]uint64, nids)
		for j := range ids {
			ids[j] = r.u64()
		}
		attr.Name, attr.IDs = name, ids
		f.Events = append(f.Events, EventDesc{Name: name, IDs: ids, Attr: attr})
	}
	return r.err
}
