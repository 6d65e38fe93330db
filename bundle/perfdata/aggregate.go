package perfdata

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/symbolize"
)

// Options controls Aggregate.
type Options struct {
	// Binaries maps a build ID, a mapped path or its base name to a local
	// ELF file to symbolize that mapping with.
	Binaries map[string]string
	// Kallsyms is a /proc/kallsyms snapshot naming kernel frames; "" leaves
	// them as addresses.
	Kallsyms string
	// LeafOnly keeps only each sample's leaf frame: enough for a flat
	// top-N, and much less work than whole stacks.
	LeafOnly bool
	// Select chooses the process the recording is read for (Target).
	Select Selector
}

// Aggregate is the samples of one perf.data, interned by call chain.
type Aggregate struct {
	// Samples is the number of SAMPLE records; Period their summed period.
	Samples int64
	Period  uint64
	// Lost counts samples the kernel reported dropped (LOST records).
	Lost uint64
	// Events names the event attributes, in file order.
	Events []string
	// FreqHz is the sampling frequency of the first event, 0 if it used a
	// fixed period.
	FreqHz uint64
	// FirstTime and LastTime are the perf-clock times of the first and
	// last sample (ns).
	FirstTime, LastTime uint64
	// Warnings lists what could not be read or symbolized.
	Warnings []string
	// Features are the header features.
	Features Features
	// Processes are the processes that have samples, most samples first.
	Processes []Process
	// Target is the process the recording is read for, and the rule
	// that chose it.
	Target Target

	stacks []*stack
	locs   []*loc
}

// stack is one interned call chain: location indexes, leaf first.
type stack struct {
	pid     uint32
	locs    []int32
	event   int
	samples int64
	period  uint64
}

// rawStack is a call chain as recorded, kept until the file is read.
type rawStack struct {
	pid     uint32
	event   int
	chain   []uint64 // with context markers
	samples int64
	period  uint64
}

// maxUniqueStacks bounds the distinct call chains kept; beyond it, new
// chains are folded into their leaf so memory stays bounded whatever the
// input. A 20 s capture of a busy server has tens of thousands.
const maxUniqueStacks = 1 << 20

// AggregateFile reads the perf.data at path and interns its samples.
func AggregateFile(path string, o Options) (*Aggregate, error) {
	f, size, err := bundle.OpenSized(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return AggregateAt(f, size, path, o)
}

// AggregateAt is AggregateFile for the perf.data of size bytes in ra,
// such as an archive member read where it lies; name labels errors.
func AggregateAt(ra io.ReaderAt, size int64, name string, o Options) (*Aggregate, error) {
	r, err := NewReader(ra, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	a, err := aggregate(r, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return a, nil
}

// aggregate streams r's records: mappings feed the address space, samples
// are interned by raw call chain; symbolization runs once per distinct
// chain at the end.
func aggregate(r *Reader, o Options) (*Aggregate, error) {
	a := &Aggregate{}
	sp := newSpace()
	procs := newProcTable()
	r.skipChains = o.LeafOnly
	// Binaries are matched against build IDs from the features, which pipe
	// mode delivers late; the resolver reads them when first asked.
	res := newResolver(o.Binaries, &r.Features)
	defer res.close()
	c := &collector{
		a: a, sp: sp, procs: procs, leafOnly: o.LeafOnly, features: &r.Features,
		frames:    newFrameCache(sp, res),
		index:     map[string]*rawStack{},
		attrIndex: map[*EventAttr]int{},
	}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch v := rec.(type) {
		case *Mmap:
			if m := sp.mmap(v); m != nil {
				procs.mmap(v.PID, m)
			}
		case *Task:
			if v.Type == RecordFork {
				sp.fork(v)
				procs.fork(v)
			}
		case *Comm:
			sp.comm(v)
			procs.comm(v)
		case *Cgroup:
			procs.cgroup(v)
		case *Lost:
			a.Lost += v.Lost
		case *Other:
			if v.Type == RecordFinishedRound {
				c.finishRound()
			}
		case *Sample:
			c.sample(v)
		}
	}
	c.flush(len(c.pending))
	order := c.order
	for _, at := range r.Attrs {
		a.Events = append(a.Events, at.Name)
	}
	if len(r.Attrs) > 0 && r.Attrs[0].Freq() {
		a.FreqHz = r.Attrs[0].SamplePeriod
	}
	a.Features = r.Features
	a.Warnings = append(a.Warnings, r.Warnings()...)
	if a.Lost > 0 {
		a.Warnings = append(a.Warnings, fmt.Sprintf("the kernel dropped %d samples (LOST records)", a.Lost))
	}
	if c.onlyLeaf > 0 {
		a.Warnings = append(a.Warnings, fmt.Sprintf("%d of %d --call-graph dwarf samples resolved only to their leaf frame (no frame-pointer chain in the copied user stack)", c.onlyLeaf, c.dwarf))
	}
	// Kernel names: one pass over kallsyms for just the addresses seen.
	names, err := kernelNames(o.Kallsyms, order)
	if err != nil {
		res.warnf("kallsyms unusable, kernel frames are shown as addresses: %v", err)
		res.kallsymsFailed = true
	}
	res.knames = names
	// Choices made while streaming may predate build IDs that pipe mode
	// sends last: choose again with everything known.
	res.perMap = map[*mapping]*symbolize.Binary{}
	goPIDs := a.symbolize(sp, res, order)
	a.Processes = procs.list(res.recordedID, func(pid uint32, exe *mapping) bool {
		if goPIDs[pid] {
			return true
		}
		b := res.peek(exe)
		return b != nil && b.GoVersion != ""
	})
	a.Target, err = choose(a.Processes, o.Select)
	if err != nil {
		return nil, err
	}
	a.Warnings = append(a.Warnings, res.missingWarnings(a.TargetOnly().files(), a.Target)...)
	if procs.overflow > 0 {
		a.Warnings = append(a.Warnings, fmt.Sprintf("more than %d processes: %d samples of the rest are counted as one unknown process", maxProcesses, procs.overflow))
	}
	return a, nil
}

// sampleChain builds a sample's call chain with context markers. For
// --call-graph dwarf samples the user part is unwound from the copied
// stack (unwound=true; leaf=true when nothing beyond the IP was found).
func sampleChain(s *Sample, arch string, leafOnly bool, out []uint64, spDelta func(uint32, uint64) (int, bool)) (chain []uint64, unwound, leaf bool) {
	mode := ContextUser
	if s.CPUMode() == CPUModeKernel {
		mode = ContextKernel
	}
	if leafOnly || len(s.Callchain) == 0 && s.Attr.SampleType&SampleStackUser == 0 {
		return append(out, mode, s.IP), false, false
	}
	out = append(out, s.Callchain...)
	if unwindable(s) {
		n := len(out)
		out = append(out, ContextUser)
		var ok bool
		out, ok = unwindFP(s, arch, out, spDelta)
		if ok {
			return out, true, len(out)-n == 2
		}
		out = out[:n]
	}
	if len(s.Callchain) == 0 {
		out = append(out, mode, s.IP)
	}
	return out, false, false
}

// unwindable reports whether s is a --call-graph dwarf sample whose user
// frames unwindFP is to recover from its registers and copied stack.
func unwindable(s *Sample) bool {
	if s.Attr.SampleType&SampleStackUser == 0 || s.RegsUserABI == 0 {
		return false
	}
	for _, c := range s.Callchain {
		if c == ContextUser {
			return false
		}
	}
	return true
}

// leafOf keeps only the marker and address of a chain's leaf.
func leafOf(chain []uint64) []uint64 {
	mode := ContextUser
	for _, c := range chain {
		if c >= ContextMax {
			mode = c
			continue
		}
		return []uint64{mode, c}
	}
	return chain
}

// stackKey encodes pid, event and chain as a map key.
func stackKey(b []byte, pid uint32, ev int, chain []uint64) []byte {
	b = le.AppendUint32(b, pid)
	b = le.AppendUint32(b, uint32(ev))
	for _, c := range chain {
		b = le.AppendUint64(b, c)
	}
	return b
}

// files returns the files the aggregate's samples ran in.
func (a *Aggregate) files() map[string]bool {
	seen := map[int32]bool{}
	files := map[string]bool{}
	for _, st := range a.stacks {
		for _, id := range st.locs {
			if !seen[id] {
				seen[id] = true
				if l := a.locs[id]; l.dso != "" && !l.kernel {
					files[l.dso] = true
				}
			}
		}
	}
	return files
}

// symbolize resolves every distinct chain into location indexes. It
// returns the processes whose user frames name runtime.* functions: Go
// programs, whatever their binary.
func (a *Aggregate) symbolize(sp *space, res *resolver, order []*rawStack) map[uint32]bool {
	ids := map[locKey]int32{}
	goPIDs := map[uint32]bool{}
	kernelSeen := false
	for _, rs := range order {
		st := &stack{pid: rs.pid, event: rs.event, samples: rs.samples, period: rs.period}
		mode := ContextUser
		first := true
		for _, c := range rs.chain {
			if c >= ContextMax {
				mode = c
				continue
			}
			var k locKey
			var l *loc
			switch mode {
			case ContextKernel:
				kernelSeen = true
				k, l = res.kernelLoc(c, !first)
			case ContextUser:
				k, l = res.user(sp, rs.pid, c, !first)
			default:
				k, l = locKey{file: "[guest]", addr: c}, &loc{addr: c, dso: "[guest]"}
			}
			first = false
			if mode == ContextUser && !goPIDs[rs.pid] && strings.HasPrefix(l.sym, "runtime.") {
				goPIDs[rs.pid] = true
			}
			id, ok := ids[k]
			if !ok {
				id = int32(len(a.locs))
				ids[k] = id
				a.locs = append(a.locs, l)
			}
			st.locs = append(st.locs, id)
		}
		if len(st.locs) > 0 {
			a.stacks = append(a.stacks, st)
		}
	}
	if kernelSeen && res.knames == nil && !res.kallsymsFailed {
		res.warnf("kernel frames present but no kallsyms given; they are shown as addresses")
	}
	a.Warnings = append(a.Warnings, res.warnings...)
	return goPIDs
}
