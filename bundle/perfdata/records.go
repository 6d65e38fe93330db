package perfdata

// Record types (enum perf_event_type, and perf's user-space types ≥ 64).
const (
	RecordMmap           = 1
	RecordLost           = 2
	RecordComm           = 3
	RecordExit           = 4
	RecordThrottle       = 5
	RecordUnthrottle     = 6
	RecordFork           = 7
	RecordRead           = 8
	RecordSample         = 9
	RecordMmap2          = 10
	RecordAux            = 11
	RecordItraceStart    = 12
	RecordLostSamples    = 13
	RecordSwitch         = 14
	RecordSwitchCPUWide  = 15
	RecordNamespaces     = 16
	RecordKsymbol        = 17
	RecordBPFEvent       = 18
	RecordCgroup         = 19
	RecordTextPoke       = 20
	RecordAuxOutputHWID  = 21
	RecordHeaderAttr     = 64
	RecordHeaderEvType   = 65
	RecordHeaderTracing  = 66
	RecordHeaderBuildID  = 67
	RecordFinishedRound  = 68
	RecordIDIndex        = 69
	RecordAuxtraceInfo   = 70
	RecordAuxtrace       = 71
	RecordAuxtraceError  = 72
	RecordThreadMap      = 73
	RecordCPUMap         = 74
	RecordStatConfig     = 75
	RecordStat           = 76
	RecordStatRound      = 77
	RecordEventUpdate    = 78
	RecordTimeConv       = 79
	RecordHeaderFeature  = 80
	RecordCompressed     = 81
	RecordFinishedInit   = 82
	RecordCompressed2    = 83
	recordKnownKernelMax = RecordAuxOutputHWID
	recordKnownUserMax   = RecordCompressed2
)

// CPU modes in a record header's misc field (PERF_RECORD_MISC_CPUMODE_MASK).
const (
	CPUModeMask        = 7
	CPUModeUnknown     = 0
	CPUModeKernel      = 1
	CPUModeUser        = 2
	CPUModeHypervisor  = 3
	CPUModeGuestKernel = 4
	CPUModeGuestUser   = 5
)

// miscMmapBuildID is PERF_RECORD_MISC_MMAP_BUILD_ID: an MMAP2 record carries
// a build ID instead of device and inode numbers.
const miscMmapBuildID = 1 << 14

// Header is the common part of every record.
type Header struct {
	Type   uint32
	Misc   uint16
	Size   uint16
	Offset int64 // file offset of the record, for messages
}

// CPUMode returns the record's CPUMode* value.
func (h Header) CPUMode() uint16 { return h.Misc & CPUModeMask }

// Record is one decoded record: *Sample, *Mmap, *Comm, *Task, *Lost,
// *Throttle, *Cgroup, or *Other for everything else.
type Record interface {
	// Hdr returns the record's header.
	Hdr() Header
}

// IDTrailer is the sample_id trailer of non-sample records (sample_id_all).
type IDTrailer struct {
	PID, TID uint32
	Time     uint64
	ID       uint64
	StreamID uint64
	CPU      uint32
}

// Mmap is a MMAP or MMAP2 record: a file (or anonymous region) mapped
// executable into a process.
type Mmap struct {
	Header
	PID, TID         uint32
	Addr, Len, Pgoff uint64
	// Maj, Min, Ino, InoGeneration are set by MMAP2 without a build ID.
	Maj, Min           uint32
	Ino, InoGeneration uint64
	BuildID            string // hex; MMAP2 with PERF_RECORD_MISC_MMAP_BUILD_ID
	Prot, Flags        uint32
	Filename           string
	IDTrailer
}

// Comm is a COMM record: a thread's command name.
type Comm struct {
	Header
	PID, TID uint32
	Comm     string
	IDTrailer
}

// Task is a FORK or EXIT record.
type Task struct {
	Header
	PID, PPID, TID, PTID uint32
	Time                 uint64
	IDTrailer
}

// Lost is a LOST record: the kernel dropped samples.
type Lost struct {
	Header
	ID, Lost uint64
	IDTrailer
}

// Throttle is a THROTTLE or UNTHROTTLE record.
type Throttle struct {
	Header
	Time, ID, StreamID uint64
	IDTrailer
}

// Cgroup is a CGROUP record (perf record --all-cgroups): the path of the
// cgroup that samples name by ID in their cgroup field.
type Cgroup struct {
	Header
	ID   uint64
	Path string
	IDTrailer
}

// Other is any record this package does not decode further. Body is valid
// only until the next call to Next.
type Other struct {
	Header
	Body []byte
}

// Hdr implements Record.
func (r *Mmap) Hdr() Header { return r.Header }

// Hdr implements Record.
func (r *Comm) Hdr() Header { return r.Header }

// Hdr implements Record.
func (r *Task) Hdr() Header { return r.Header }

// Hdr implements Record.
func (r *Lost) Hdr() Header { return r.Header }

// Hdr implements Record.
func (r *Throttle) Hdr() Header { return r.Header }

// Hdr implements Record.
func (r *Cgroup) Hdr() Header { return r.Header }

// Hdr implements Record.
func (r *Other) Hdr() Header { return r.Header }

// Hdr implements Record.
func (s *Sample) Hdr() Header { return s.Header }
