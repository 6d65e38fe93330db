package bundle

// Kind names what an artifact is, as learned from its bytes.
type Kind string

// The artifact kinds coroner recognizes. The string values appear in
// manifests and JSON results and must never change.
const (
	KindGoBinary      Kind = "go-binary"      // ELF executable built by the Go toolchain
	KindELF           Kind = "elf"            // other ELF executable or shared object
	KindCore          Kind = "core"           // ELF core dump
	KindPerfData      Kind = "perf-data"      // perf.data from perf record (file or pipe mode)
	KindPprof         Kind = "pprof"          // pprof protobuf profile (any sample type)
	KindTrace         Kind = "trace"          // Go runtime execution trace
	KindGCTrace       Kind = "gctrace"        // GODEBUG=gctrace=1 log lines
	KindGoroutineDump Kind = "goroutine-dump" // goroutine dump text (SIGQUIT, crash, debug=1/2)
	KindLog           Kind = "log"            // a service's text log with Go runtime output in it, plain or wrapped
	KindKallsyms      Kind = "kallsyms"       // /proc/kallsyms
	KindProcStatus    Kind = "proc-status"    // /proc/PID/status
	KindProcMaps      Kind = "proc-maps"      // /proc/PID/maps
	KindProcLimits    Kind = "proc-limits"    // /proc/PID/limits
	KindEnviron       Kind = "environ"        // process environment (only when asked for)
	KindCaptureLog    Kind = "capture-log"    // coroner collect's own step log
	KindOther         Kind = "other"          // kept, but not understood
)

// KindGoDebugBinary is an unstripped build of an archived stripped Go
// executable (ingest --debug-binary), whose DWARF and symbols read the
// stripped executable's cores.
const KindGoDebugBinary Kind = "go-debug-binary"
