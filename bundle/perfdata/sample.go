package perfdata

import "fmt"

// Callchain context markers (enum perf_callchain_context): entries at or
// above ContextMax are not addresses but switch the mode of the frames that
// follow.
const (
	ContextHV          = ^uint64(32 - 1)   // (u64)-32
	ContextKernel      = ^uint64(128 - 1)  // (u64)-128
	ContextUser        = ^uint64(512 - 1)  // (u64)-512
	ContextGuest       = ^uint64(2048 - 1) // (u64)-2048
	ContextGuestKernel = ^uint64(2176 - 1) // (u64)-2176
	ContextGuestUser   = ^uint64(2560 - 1) // (u64)-2560
	ContextMax         = ^uint64(4095 - 1) // (u64)-4095
)

// maxCallchain is the kernel's PERF_MAX_STACK_DEPTH ceiling
// (kernel.perf_event_max_stack accepts at most 65535 frames + markers);
// longer chains are corrupt. The record's own size bounds it first.
const maxCallchain = 1 << 16

// Branch is one PERF_SAMPLE_BRANCH_STACK entry.
type Branch struct{ From, To, Flags uint64 }

// ReadValue is one counter of a PERF_SAMPLE_READ group.
type ReadValue struct{ Value, ID, Lost uint64 }

// Sample is a SAMPLE record with every field its attribute's sample_type
// selects. Slices point into the reader's buffers and are valid only until
// the next call to Next; the Sample itself is reused.
type Sample struct {
	Header
	Attr                         *EventAttr
	Identifier, IP               uint64
	PID, TID                     uint32
	Time, Addr, ID, StreamID     uint64
	CPU                          uint32
	Period                       uint64
	TimeEnabled, TimeRunning     uint64
	Read                         []ReadValue
	Callchain                    []uint64
	Raw                          []byte
	BranchHWIndex                uint64
	Branches                     []Branch
	RegsUserABI                  uint64
	RegsUser                     []uint64
	StackUser                    []byte // the dyn_size bytes actually copied
	Weight, DataSrc, Transaction uint64
	RegsIntrABI                  uint64
	RegsIntr                     []uint64
	PhysAddr, Cgroup             uint64
	DataPageSize, CodePageSize   uint64
	Aux                          []byte
}

// cursor walks a record body, failing once on overrun.
type cursor struct {
	b   []byte
	off int
	err error
	at  int64 // file offset of the record, for messages
}

func (c *cursor) u64(what string) uint64 {
	if c.err != nil {
		return 0
	}
	if len(c.b)-c.off < 8 {
		c.failf("%s at body offset %d runs past the record (%d bytes)", what, c.off, len(c.b))
		return 0
	}
	v := le.Uint64(c.b[c.off:])
	c.off += 8
	return v
}

// count reads a u64 count of elems-byte items and checks it against the
// bytes left, so no allocation is ever sized by an unchecked field.
func (c *cursor) count(what string, elem int, limit uint64) int {
	n := c.u64(what)
	if c.err != nil {
		return 0
	}
	left := uint64(len(c.b) - c.off)
	if n > limit || n*uint64(elem) > left {
		c.failf("%s %d exceeds record size %d", what, n, len(c.b)+recHeaderSize)
		return 0
	}
	return int(n)
}

func (c *cursor) bytes(what string, n uint64) []byte {
	if c.err != nil {
		return nil
	}
	if n > uint64(len(c.b)-c.off) {
		c.failf("%s of %d bytes exceeds record size %d", what, n, len(c.b)+recHeaderSize)
		return nil
	}
	s := c.b[c.off : c.off+int(n)]
	c.off += int(n)
	return s
}

// u64If reads the u64 field named what when present (the field's
// sample_type bits) is not zero; an absent field reads as 0.
func (c *cursor) u64If(present uint64, what string) uint64 {
	if present == 0 {
		return 0
	}
	return c.u64(what)
}

func (c *cursor) failf(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("record at offset 0x%x: "+format, append([]any{c.at}, args...)...)
	}
}

// decodeSample fills s from body according to a's sample_type.
func decodeSample(s *Sample, a *EventAttr, body []byte, at int64, skipChain bool) error {
	calls, regsU, regsI, reads, branches := s.Callchain[:0], s.RegsUser[:0], s.RegsIntr[:0], s.Read[:0], s.Branches[:0]
	*s = Sample{Header: s.Header, Attr: a}
	c := &cursor{b: body, at: at}
	st := a.SampleType
	s.Identifier = c.u64If(st&SampleIdentifier, "identifier")
	s.IP = c.u64If(st&SampleIP, "ip")
	if st&SampleTID != 0 {
		v := c.u64("pid/tid")
		s.PID, s.TID = uint32(v), uint32(v>>32)
	}
	s.Time = c.u64If(st&SampleTime, "time")
	s.Addr = c.u64If(st&SampleAddr, "addr")
	s.ID = c.u64If(st&SampleID, "id")
	s.StreamID = c.u64If(st&SampleStreamID, "stream_id")
	s.CPU = uint32(c.u64If(st&SampleCPU, "cpu"))
	s.Period = c.u64If(st&SamplePeriod, "period")
	if st&SampleRead != 0 {
		s.Read = decodeRead(c, a.ReadFormat, s, reads)
	}
	if st&SampleCallchain != 0 {
		n := c.count("callchain length", 8, maxCallchain)
		if skipChain {
			c.off += 8 * n // checked against the record by count
		} else {
			for i := 0; i < n; i++ {
				calls = append(calls, c.u64("callchain entry"))
			}
		}
	}
	s.Callchain = calls
	if st&SampleRaw != 0 {
		if len(c.b)-c.off < 4 {
			c.failf("raw size at body offset %d runs past the record", c.off)
		} else {
			n := le.Uint32(c.b[c.off:])
			c.off += 4
			s.Raw = c.bytes("raw data", uint64(n))
		}
	}
	if st&SampleBranchStack != 0 {
		n := c.count("branch stack length", 24, maxCallchain)
		if a.BranchSampleType&branchHWIndex != 0 {
			s.BranchHWIndex = c.u64("branch hw_idx")
		}
		for i := 0; i < n && c.err == nil; i++ {
			branches = append(branches, Branch{c.u64("branch from"), c.u64("branch to"), c.u64("branch flags")})
		}
	}
	s.Branches = branches
	if st&SampleRegsUser != 0 {
		s.RegsUserABI, regsU = decodeRegs(c, a.SampleRegsUser, regsU)
	}
	s.RegsUser = regsU
	if st&SampleStackUser != 0 {
		n := c.u64("user stack size")
		data := c.bytes("user stack", n)
		if n != 0 {
			dyn := c.u64("user stack dyn_size")
			if dyn > uint64(len(data)) {
				c.failf("user stack dyn_size %d exceeds its size %d", dyn, len(data))
			} else {
				s.StackUser = data[:dyn]
			}
		}
	}
	s.Weight = c.u64If(st&(SampleWeight|SampleWeightStruct), "weight")
	s.DataSrc = c.u64If(st&SampleDataSrc, "data_src")
	s.Transaction = c.u64If(st&SampleTransaction, "transaction")
	if st&SampleRegsIntr != 0 {
		s.RegsIntrABI, regsI = decodeRegs(c, a.SampleRegsIntr, regsI)
	}
	s.RegsIntr = regsI
	s.PhysAddr = c.u64If(st&SamplePhysAddr, "phys_addr")
	s.Cgroup = c.u64If(st&SampleCgroup, "cgroup")
	s.DataPageSize = c.u64If(st&SampleDataPageSize, "data_page_size")
	s.CodePageSize = c.u64If(st&SampleCodePageSize, "code_page_size")
	if st&SampleAux != 0 {
		s.Aux = c.bytes("aux data", c.u64("aux size"))
	}
	return c.err
}

// decodeRegs reads { u64 abi; u64 regs[popcount(mask)] } (regs only when
// abi != PERF_SAMPLE_REGS_ABI_NONE).
func decodeRegs(c *cursor, mask uint64, buf []uint64) (uint64, []uint64) {
	abi := c.u64("regs abi")
	if abi == 0 {
		return 0, buf
	}
	for i := regCount(mask); i > 0 && c.err == nil; i-- {
		buf = append(buf, c.u64("register"))
	}
	return abi, buf
}

// decodeRead reads struct read_format for one counter or a group.
func decodeRead(c *cursor, rf uint64, s *Sample, buf []ReadValue) []ReadValue {
	// idLost completes a value with its id and lost count.
	idLost := func(v ReadValue) ReadValue {
		if rf&ReadID != 0 {
			v.ID = c.u64("read id")
		}
		if rf&ReadLost != 0 {
			v.Lost = c.u64("read lost")
		}
		return v
	}
	times := func() {
		if rf&ReadTotalTimeEnabled != 0 {
			s.TimeEnabled = c.u64("time_enabled")
		}
		if rf&ReadTotalTimeRunning != 0 {
			s.TimeRunning = c.u64("time_running")
		}
	}
	if rf&ReadGroup == 0 {
		v := ReadValue{Value: c.u64("read value")}
		times()
		return append(buf, idLost(v))
	}
	per := 1
	if rf&ReadID != 0 {
		per++
	}
	if rf&ReadLost != 0 {
		per++
	}
	n := c.count("read group size", 8*per, maxAttrs)
	times()
	for i := 0; i < n && c.err == nil; i++ {
		buf = append(buf, idLost(ReadValue{Value: c.u64("read value")}))
	}
	return buf
}

// decodeSampleID reads the sample_id trailer at the end of a non-sample
// record's body.
func decodeSampleID(st uint64, body []byte) (IDTrailer, bool) {
	n := sampleIDSize(st)
	if n == 0 || n > len(body) {
		return IDTrailer{}, false
	}
	b := body[len(body)-n:]
	var id IDTrailer
	next := func() uint64 { v := le.Uint64(b); b = b[8:]; return v }
	if st&SampleTID != 0 {
		v := next()
		id.PID, id.TID = uint32(v), uint32(v>>32)
	}
	if st&SampleTime != 0 {
		id.Time = next()
	}
	if st&SampleID != 0 {
		id.ID = next()
	}
	if st&SampleStreamID != 0 {
		id.StreamID = next()
	}
	if st&SampleCPU != 0 {
		id.CPU = uint32(next())
	}
	if st&SampleIdentifier != 0 {
		id.ID = next()
	}
	return id, true
}
