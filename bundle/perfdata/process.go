package perfdata

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// idlePID is the PID of the kernel's per-CPU idle task ("swapper"). The
// kernel gives every CPU's idle task PID 0 and never a COMM record, so perf
// names it itself (tools/perf/util/machine.c gives thread 0 the comm
// "swapper").
const idlePID = 0

// noPID stands for the process of samples whose sample type carries no
// pid/tid (PERF_SAMPLE_TID unset): they cannot be told apart.
const noPID = ^uint32(0)

// commMax bounds a command name: the kernel's TASK_COMM_LEN is 16 bytes
// with the terminating NUL, so a longer name did not come from a kernel.
const commMax = 15

// maxProcesses bounds the processes tracked. A 64-bit kernel allows PIDs up
// to 4,194,304 (PID_MAX_LIMIT) but a host runs tens of thousands of tasks
// at most, and a recording of seconds sees few come and go; 1<<18 entries
// keep the table within tens of MiB whatever the file claims. Samples of
// processes past the bound are still counted, under noPID.
const maxProcesses = 1 << 18

// Process is one process of a recording and the samples taken in it.
type Process struct {
	PID uint32
	// Comm is the command name of its main thread (or of the first thread
	// seen): at most 15 bytes, taken from the file, so untrusted.
	Comm string
	// Binary is the file of its executable mapping, as recorded (a path on
	// the recording host); BuildID that file's build ID when perf recorded
	// one (MMAP2 with --buildid-mmap, or the header's build-ID table).
	Binary, BuildID string
	// Cgroup is the cgroup path of its last sample (perf record
	// --all-cgroups); "" when not recorded.
	Cgroup string
	// Samples and Period sum its SAMPLE records.
	Samples int64
	Period  uint64
	// Go reports a Go program: its executable is a Go binary, or its
	// samples name runtime.* functions.
	Go bool
	// Idle marks PID 0, the kernel's per-CPU idle task: the idle loop
	// and the interrupts taken while a CPU had nothing to run.
	Idle bool
	// Unknown marks the samples that carry no PID (or PID -1, as perf
	// shows it), or whose process did not fit the table; PID is then
	// meaningless.
	Unknown bool
}

// Name renders the process for a table: "comm" or "[idle]"/"[unknown]".
func (p Process) Name() string {
	switch {
	case p.Idle:
		return "swapper"
	case p.Unknown:
		return "[unknown]"
	case p.Comm == "":
		return "[no name]" // no COMM record reached the file
	}
	return p.Comm
}

// proc is what the records have told about one process so far.
type proc struct {
	comm     string
	mainComm bool     // comm is the main thread's (tid == pid)
	exe      *mapping // first file-backed executable mapping of its own since exec
	// forkedExe is the parent's executable at fork: the process's own
	// while it maps none (a forked child that does not exec).
	forkedExe *mapping
	cgroup    uint64
	samples   int64
	period    uint64
}

// procTable follows processes through COMM, FORK, MMAP and CGROUP records
// and counts the samples of each.
type procTable struct {
	byPID   map[uint32]*proc
	cgroups map[uint64]string
	// cgroupBytes sums what the entries of cgroups cost (and of any
	// replaced), bounded by maxCgroupBytes.
	cgroupBytes int
	last        *proc // the process of the previous sample, to skip the map
	lastPID     uint32
	// overflow counts samples of processes past maxProcesses.
	overflow int64
}

func newProcTable() *procTable {
	return &procTable{byPID: map[uint32]*proc{}, cgroups: map[uint64]string{}}
}

// get returns pid's entry, creating it while the table has room; nil
// when it is full.
func (t *procTable) get(pid uint32) *proc {
	if p := t.byPID[pid]; p != nil {
		return p
	}
	if len(t.byPID) >= maxProcesses {
		return nil
	}
	p := &proc{}
	t.byPID[pid] = p
	return p
}

// comm records a thread's command name. The main thread's name is the
// process's; an exec (PERF_RECORD_MISC_COMM_EXEC) starts a new image, so
// the executable is forgotten until its new mapping arrives.
func (t *procTable) comm(c *Comm) {
	p := t.get(c.PID)
	if p == nil {
		return
	}
	main := c.PID == c.TID
	if main || !p.mainComm {
		p.comm, p.mainComm = clipComm(c.Comm), main
	}
	if main && c.Misc&miscCommExec != 0 {
		p.exe, p.forkedExe = nil, nil
	}
}

// miscForkExec is PERF_RECORD_MISC_FORK_EXEC: perf set it on the FORK
// records it synthesizes for threads that existed before the recording
// (tools/perf/util/synthetic-events.c), before their COMM and MMAPs.
const miscForkExec = 1 << 13

// fork starts a new process (a new thread, pid == ppid, changes nothing).
// The kernel copies the parent's name and image into the child
// (copy_process), so it has the parent's executable until it maps its own;
// a FORK perf synthesized keeps a name already known. A PID used again
// after an exit keeps its samples but takes the new process's name and
// executable.
func (t *procTable) fork(f *Task) {
	if f.PID == f.PPID {
		return
	}
	p := t.get(f.PID)
	if p == nil {
		return
	}
	p.exe, p.forkedExe = nil, nil
	parent := t.byPID[f.PPID]
	if parent == nil {
		return
	}
	if p.comm == "" || f.Misc&miscForkExec == 0 {
		p.comm, p.mainComm = parent.comm, false
	}
	p.forkedExe = parent.exe
	if p.forkedExe == nil {
		p.forkedExe = parent.forkedExe
	}
}

// mmap notes the executable of a process: its first file-backed
// executable mapping since exec. perf synthesizes a running process's
// FORK from its parent before its mappings, so what fork passed on is
// kept apart and yields to the process's own. The kernel maps the program before its
// interpreter (load_elf_binary), and perf synthesizes the mappings of
// running processes from /proc/PID/maps in address order, where the
// program's text (at 0x400000, or ELF_ET_DYN_BASE for PIE) lies below the
// shared libraries near mmap_base.
func (t *procTable) mmap(pid uint32, m *mapping) {
	if pid == kernelPID || !fileBacked(m.file) {
		return
	}
	if p := t.get(pid); p != nil && p.exe == nil {
		p.exe = m
	}
}

// fileBacked reports whether a mapping's name is a file: not "[vdso]",
// "[heap]", "//anon", or a memfd.
func fileBacked(name string) bool {
	return name != "" && !strings.HasPrefix(name, "[") && !strings.HasPrefix(name, "//anon") &&
		!strings.HasPrefix(name, "/memfd:")
}

// sample counts one sample and returns the PID it was counted under:
// the sample's, or noPID when it carries none or the table is full.
func (t *procTable) sample(s *Sample) uint32 {
	pid := s.PID
	if s.Attr.SampleType&SampleTID == 0 {
		pid = noPID
	}
	if t.last == nil || pid != t.lastPID {
		p := t.get(pid)
		if p == nil {
			t.overflow++
			pid = noPID
			if p = t.byPID[noPID]; p == nil {
				p = &proc{} // the one entry allowed past the bound
				t.byPID[noPID] = p
			}
		}
		t.last, t.lastPID = p, pid
	}
	p := t.last
	p.samples++
	p.period += s.Period
	if s.Attr.SampleType&SampleCgroup != 0 {
		p.cgroup = s.Cgroup
	}
	return pid
}

// Bounds on the cgroup paths remembered. The kernel writes a path of at
// most PATH_MAX (4096) bytes into a CGROUP record (perf_event_cgroup); a
// host has hundreds to a few thousand cgroups (systemd units, containers),
// so 16 MiB of paths holds thousands of the longest ones, and a file
// claiming more cannot make the table grow past it.
const (
	maxCgroupPath  = 4096
	maxCgroupBytes = 16 << 20
)

// cgroup records a cgroup's path.
func (t *procTable) cgroup(c *Cgroup) {
	path := c.Path
	if len(path) > maxCgroupPath {
		path = strings.ToValidUTF8(path[:maxCgroupPath], "")
	}
	// An entry costs its path and about 64 bytes of map and header.
	n := len(path) + 64
	if _, ok := t.cgroups[c.ID]; !ok && t.cgroupBytes+n > maxCgroupBytes {
		return
	}
	t.cgroupBytes += n
	t.cgroups[c.ID] = path
}

// clipComm keeps at most commMax bytes of a name, on a rune boundary.
func clipComm(s string) string {
	if len(s) <= commMax {
		return s
	}
	s = s[:commMax]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// list returns the processes with samples, most samples first, then by
// PID. buildID names a mapping's build ID; isGo says whether a process's
// executable or samples are Go's.
func (t *procTable) list(buildID func(*mapping) string, isGo func(pid uint32, exe *mapping) bool) []Process {
	var out []Process
	for pid, p := range t.byPID {
		if p.samples == 0 {
			continue
		}
		pr := Process{PID: pid, Comm: p.comm, Samples: p.samples, Period: p.period,
			Idle: pid == idlePID, Unknown: pid == noPID, Cgroup: t.cgroups[p.cgroup]}
		if pr.Unknown {
			pr.Comm = ""
		}
		exe := p.exe
		if exe == nil {
			exe = p.forkedExe
		}
		if exe != nil && !pr.Unknown {
			pr.Binary, pr.BuildID = exe.file, buildID(exe)
		}
		if !pr.Idle && !pr.Unknown {
			pr.Go = isGo(pid, exe)
		}
		out = append(out, pr)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Samples != out[j].Samples {
			return out[i].Samples > out[j].Samples
		}
		if out[i].Unknown != out[j].Unknown {
			return out[j].Unknown
		}
		return out[i].PID < out[j].PID
	})
	return out
}
