package perfdata

import (
	"fmt"
	"math/bits"
	"strings"
)

// Sample-type bits (enum perf_event_sample_format): which fields a SAMPLE
// record carries, in this order. The names stand in bit order from bit 0.
const (
	SampleIP = 1 << iota
	SampleTID
	SampleTime
	SampleAddr
	SampleRead
	SampleCallchain
	SampleID
	SampleCPU
	SamplePeriod
	SampleStreamID
	SampleRaw
	SampleBranchStack
	SampleRegsUser
	SampleStackUser
	SampleWeight
	SampleDataSrc
	SampleIdentifier
	SampleTransaction
	SampleRegsIntr
	SamplePhysAddr
	SampleAux
	SampleCgroup
	SampleDataPageSize
	SampleCodePageSize
	SampleWeightStruct
)

// sampleTypeNames name the sample-type bits, in bit order, as the
// manifest's sample_type attribute spells them.
var sampleTypeNames = []string{"ip", "tid", "time", "addr", "read", "callchain", "id", "cpu",
	"period", "stream_id", "raw", "branch_stack", "regs_user", "stack_user", "weight",
	"data_src", "identifier", "transaction", "regs_intr", "phys_addr", "aux", "cgroup",
	"data_page_size", "code_page_size", "weight_struct"}

// sampleTypeString names the bits of a sample_type.
func sampleTypeString(st uint64) string {
	var out []string
	for i := 0; i < 64; i++ {
		if st&(1<<i) == 0 {
			continue
		}
		if i < len(sampleTypeNames) {
			out = append(out, sampleTypeNames[i])
		} else {
			out = append(out, fmt.Sprintf("bit%d", i))
		}
	}
	return strings.Join(out, ",")
}

// Read-format bits (enum perf_event_read_format).
const (
	ReadTotalTimeEnabled = 1 << iota
	ReadTotalTimeRunning
	ReadID
	ReadGroup
	ReadLost
)

// Attribute flag bits (the bitfield word of struct perf_event_attr).
const (
	attrFlagFreq        = 1 << 10
	attrFlagSampleIDAll = 1 << 18
)

// branchHWIndex is PERF_SAMPLE_BRANCH_HW_INDEX in branch_sample_type: each
// branch stack then carries a u64 hw_idx before its entries.
const branchHWIndex = 1 << 17

// attrSizeVer0 is PERF_ATTR_SIZE_VER0, the smallest perf_event_attr.
const attrSizeVer0 = 64

// maxAttrSize bounds the attribute size we accept; the kernel's struct is
// 136 bytes today (VER8), perf pads to at most a page.
const maxAttrSize = 4096

// maxAttrs bounds the number of event attributes; perf record with every
// event of a large PMU stays far below it.
const maxAttrs = 1 << 12

// maxIDsPerAttr bounds the sample IDs of one attribute: one per CPU per
// thread when inheriting; 1<<20 is beyond any real capture.
const maxIDsPerAttr = 1 << 20

// EventAttr is the part of struct perf_event_attr that decoding needs.
type EventAttr struct {
	Type             uint32
	Config           uint64
	SamplePeriod     uint64 // sample_freq when Freq is set
	SampleType       uint64
	ReadFormat       uint64
	Flags            uint64
	BranchSampleType uint64
	SampleRegsUser   uint64
	SampleStackUser  uint32
	SampleRegsIntr   uint64
	// Name is the event's name from the event-description feature or the
	// attribute's type and config ("cpu-clock").
	Name string
	IDs  []uint64
}

// Freq reports whether SamplePeriod is a frequency in Hz.
func (a *EventAttr) Freq() bool { return a.Flags&attrFlagFreq != 0 }

// SampleIDAll reports whether non-sample records carry the sample_id trailer.
func (a *EventAttr) SampleIDAll() bool { return a.Flags&attrFlagSampleIDAll != 0 }

// parseAttr decodes a perf_event_attr from b, which holds at least its
// declared size.
func parseAttr(b []byte) (*EventAttr, error) {
	if len(b) < attrSizeVer0 {
		return nil, fmt.Errorf("event attribute of %d bytes is shorter than the minimum %d", len(b), attrSizeVer0)
	}
	a := &EventAttr{
		Type:         le.Uint32(b[0:]),
		Config:       le.Uint64(b[8:]),
		SamplePeriod: le.Uint64(b[16:]),
		SampleType:   le.Uint64(b[24:]),
		ReadFormat:   le.Uint64(b[32:]),
		Flags:        le.Uint64(b[40:]),
	}
	if len(b) >= 80 {
		a.BranchSampleType = le.Uint64(b[72:])
	}
	if len(b) >= 96 {
		a.SampleRegsUser = le.Uint64(b[80:])
		a.SampleStackUser = le.Uint32(b[88:])
	}
	if len(b) >= 104 {
		a.SampleRegsIntr = le.Uint64(b[96:])
	}
	a.Name = eventName(a.Type, a.Config)
	return a, nil
}

// attrDeclaredSize returns the size field of a perf_event_attr (0 means VER0).
func attrDeclaredSize(b []byte) uint32 {
	if len(b) < 8 {
		return 0
	}
	s := le.Uint32(b[4:])
	if s == 0 {
		s = attrSizeVer0
	}
	return s
}

// idPos returns the u64 index of the sample ID inside a SAMPLE record's body,
// or -1 if the sample type carries none.
func idPos(st uint64) int {
	return idIndex(st, 0, SampleIP, SampleTID, SampleTime, SampleAddr)
}

// idPosFromEnd returns the u64 index, counted back from the end of a
// non-sample record, of the ID in its sample_id trailer, or -1.
func idPosFromEnd(st uint64) int {
	return idIndex(st, 1, SampleCPU, SampleStreamID)
}

// idIndex is where sample type st puts the ID among u64s counted from
// first: at first with PERF_SAMPLE_IDENTIFIER, else after the fields of
// before that st carries, or -1 without PERF_SAMPLE_ID.
func idIndex(st uint64, first int, before ...uint64) int {
	if st&SampleIdentifier != 0 {
		return first
	}
	if st&SampleID == 0 {
		return -1
	}
	n := first
	for _, f := range before {
		if st&f != 0 {
			n++
		}
	}
	return n
}

// sampleIDSize is the size in bytes of the sample_id trailer.
func sampleIDSize(st uint64) int {
	n := 0
	for _, f := range []uint64{SampleTID, SampleTime, SampleID, SampleStreamID, SampleCPU, SampleIdentifier} {
		if st&f != 0 {
			n += 8
		}
	}
	return n
}

// regCount is the number of registers a register mask selects.
func regCount(mask uint64) int { return bits.OnesCount64(mask) }

// Event types (enum perf_type_id) and the names of their common configs.
var (
	hwNames = []string{"cycles", "instructions", "cache-references", "cache-misses",
		"branches", "branch-misses", "bus-cycles", "stalled-cycles-frontend",
		"stalled-cycles-backend", "ref-cycles"}
	swNames = []string{"cpu-clock", "task-clock", "page-faults", "context-switches",
		"cpu-migrations", "minor-faults", "major-faults", "alignment-faults",
		"emulation-faults", "dummy", "bpf-output", "cgroup-switches"}
)

// eventName names an event from its type and config.
func eventName(typ uint32, config uint64) string {
	switch typ {
	case 0:
		if config < uint64(len(hwNames)) {
			return hwNames[config]
		}
	case 1:
		if config < uint64(len(swNames)) {
			return swNames[config]
		}
	case 2:
		return fmt.Sprintf("tracepoint:%d", config)
	}
	return fmt.Sprintf("raw:%d:0x%x", typ, config)
}
