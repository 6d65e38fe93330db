package perfdata

// Flags in record headers and mmap records that decide which mappings
// hold code.
const (
	miscMmapData = 1 << 13 // PERF_RECORD_MISC_MMAP_DATA: a data mapping
	miscCommExec = 1 << 13 // PERF_RECORD_MISC_COMM_EXEC: comm changed by exec
	protExec     = 4       // PROT_EXEC
	kernelPID    = ^uint32(0)
)

// maxMappingsPerPID bounds the code mappings remembered per process; a
// process with thousands of shared objects stays below it.
const maxMappingsPerPID = 1 << 14

// mapping is one executable mapping of a process.
type mapping struct {
	start, end, pgoff uint64
	file, buildID     string
}

// space tracks each process's code mappings from MMAP/MMAP2, FORK and
// exec COMM records, so a sample address can be tied to the file and file
// offset it came from.
type space struct {
	byPID  map[uint32][]*mapping
	kernel []*mapping
}

func newSpace() *space { return &space{byPID: map[uint32][]*mapping{}} }

// mmap records a mapping if it is executable, and returns the user
// mapping it recorded (nil for none or a kernel one).
func (s *space) mmap(m *Mmap) *mapping {
	if m.Type == RecordMmap2 && m.Prot&protExec == 0 || m.Type == RecordMmap && m.Misc&miscMmapData != 0 {
		return nil
	}
	mp := &mapping{start: m.Addr, end: m.Addr + m.Len, pgoff: m.Pgoff, file: m.Filename, buildID: m.BuildID}
	if m.End() < m.Addr {
		return nil
	}
	if m.PID == kernelPID || m.CPUMode() == CPUModeKernel {
		s.kernel = append(s.kernel, mp)
		return nil
	}
	l := s.byPID[m.PID]
	if len(l) >= maxMappingsPerPID {
		return nil
	}
	s.byPID[m.PID] = append(l, mp)
	return mp
}

// End returns the first address past the mapping.
func (m *Mmap) End() uint64 { return m.Addr + m.Len }

// fork gives a new process its parent's mappings.
func (s *space) fork(t *Task) {
	if t.PID == t.PPID {
		return // a new thread shares its process's mappings
	}
	if p := s.byPID[t.PPID]; len(p) > 0 {
		s.byPID[t.PID] = append([]*mapping(nil), p...)
	}
}

// exec drops a process's mappings when exec replaced its image.
func (s *space) comm(c *Comm) {
	if c.Misc&miscCommExec != 0 && c.PID == c.TID {
		delete(s.byPID, c.PID)
	}
}

// find returns the newest mapping of pid that holds addr.
func (s *space) find(pid uint32, addr uint64) *mapping {
	l := s.byPID[pid]
	for i := len(l) - 1; i >= 0; i-- {
		if m := l[i]; addr >= m.start && addr < m.end {
			return m
		}
	}
	return nil
}
