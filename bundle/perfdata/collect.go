package perfdata

// maxPendingBytes bounds the copied stacks of samples held back until
// their code's mapping is known; past it, samples are unwound at once.
const maxPendingBytes = 64 << 20

// collector interns samples by call chain as aggregate streams them.
//
// perf record writes a perf.data one pass over the per-CPU buffers at a
// time, each pass ended by a FINISHED_ROUND record; within and across
// passes the file is not in time order. A sample can therefore come
// before the MMAP record of the very code it ran — the buffer of the CPU
// it ran on was flushed before that of the CPU where the exec happened —
// and unwinding it then would find no binary to read its function's
// frame size from. perf sorts events by time; it relies on every event
// stamped before the end of pass n being written by the end of pass n+1
// (tools/perf/util/session.c, process_finished_round). The collector
// relies on the same: a --call-graph dwarf sample whose IP lies in no
// known mapping is copied and unwound once the pass after its own has
// ended, or at the end of the file.
type collector struct {
	a        *Aggregate
	sp       *space
	procs    *procTable
	frames   *frameCache
	features *Features
	leafOnly bool

	index     map[string]*rawStack
	order     []*rawStack
	attrIndex map[*EventAttr]int
	key       []byte
	chain     []uint64

	// dwarf counts the samples unwound from copied stacks, onlyLeaf those
	// of them that yielded nothing beyond the IP.
	dwarf, onlyLeaf int64

	round        int // FINISHED_ROUND records seen
	pending      []pendingSample
	pendingBytes int
}

// pendingSample is a sample held back until its mapping may be known.
type pendingSample struct {
	s     *Sample // a copy: the reader reuses its records
	round int     // the pass it was read in
}

// sample interns s, or holds it back when its user IP is in no mapping
// known yet.
func (c *collector) sample(s *Sample) {
	if !c.leafOnly && unwindable(s) && c.pendingBytes+len(s.StackUser) <= maxPendingBytes {
		if ip, ok := userIP(s, c.features.Arch); ok && c.sp.find(s.PID, ip) == nil {
			c.pending = append(c.pending, pendingSample{copySample(s), c.round})
			c.pendingBytes += len(s.StackUser)
			return
		}
	}
	c.add(s)
}

// finishRound ends a pass over the CPU buffers and interns the samples
// held back from the passes before the one just ended.
func (c *collector) finishRound() {
	c.round++
	n := 0
	for n < len(c.pending) && c.pending[n].round < c.round-1 {
		n++
	}
	c.flush(n)
}

// flush interns the first n held-back samples.
func (c *collector) flush(n int) {
	for _, p := range c.pending[:n] {
		c.pendingBytes -= len(p.s.StackUser)
		c.add(p.s)
	}
	rest := copy(c.pending, c.pending[n:])
	clear(c.pending[rest:])
	c.pending = c.pending[:rest]
}

// add interns one sample.
func (c *collector) add(s *Sample) {
	a := c.a
	ev, ok := c.attrIndex[s.Attr]
	if !ok {
		ev = len(c.attrIndex)
		c.attrIndex[s.Attr] = ev
	}
	chain, unwound, onlyLeaf := sampleChain(s, c.features.Arch, c.leafOnly, c.chain[:0], c.frames.spDelta)
	c.chain = chain
	if unwound {
		c.dwarf++
		if onlyLeaf {
			c.onlyLeaf++
		}
	}
	pid := c.procs.sample(s)
	c.key = stackKey(c.key[:0], pid, ev, chain)
	rs := c.index[string(c.key)]
	if rs == nil {
		if len(c.order) >= maxUniqueStacks {
			chain = leafOf(chain)
			c.key = stackKey(c.key[:0], pid, ev, chain)
			rs = c.index[string(c.key)]
		}
		if rs == nil {
			rs = &rawStack{pid: pid, event: ev, chain: append([]uint64(nil), chain...)}
			c.index[string(c.key)] = rs
			c.order = append(c.order, rs)
		}
	}
	rs.samples++
	rs.period += s.Period
	a.Samples++
	a.Period += s.Period
	if a.FirstTime == 0 || s.Time < a.FirstTime {
		a.FirstTime = s.Time
	}
	if s.Time > a.LastTime {
		a.LastTime = s.Time
	}
}

// userIP returns the user-mode IP from a sample's user registers.
func userIP(s *Sample, arch string) (uint64, bool) {
	reg := uint(x86RegIP)
	if arch == "aarch64" || arch == "arm64" {
		reg = armRegPC
	}
	return regAt(s.RegsUser, s.Attr.SampleRegsUser, reg)
}

// copySample copies the parts of s that add reads.
func copySample(s *Sample) *Sample {
	return &Sample{
		Header:      s.Header,
		Attr:        s.Attr,
		IP:          s.IP,
		PID:         s.PID,
		TID:         s.TID,
		Time:        s.Time,
		Period:      s.Period,
		Cgroup:      s.Cgroup,
		Callchain:   append([]uint64(nil), s.Callchain...),
		RegsUserABI: s.RegsUserABI,
		RegsUser:    append([]uint64(nil), s.RegsUser...),
		StackUser:   append([]byte(nil), s.StackUser...),
	}
}
