package perfdata

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// recordNames names record types for Dump.
var recordNames = map[uint32]string{
	RecordMmap: "MMAP", RecordLost: "LOST", RecordComm: "COMM", RecordExit: "EXIT",
	RecordThrottle: "THROTTLE", RecordUnthrottle: "UNTHROTTLE", RecordFork: "FORK",
	RecordRead: "READ", RecordSample: "SAMPLE", RecordMmap2: "MMAP2", RecordAux: "AUX",
	RecordItraceStart: "ITRACE_START", RecordLostSamples: "LOST_SAMPLES", RecordSwitch: "SWITCH",
	RecordSwitchCPUWide: "SWITCH_CPU_WIDE", RecordNamespaces: "NAMESPACES", RecordKsymbol: "KSYMBOL",
	RecordBPFEvent: "BPF_EVENT", RecordCgroup: "CGROUP", RecordTextPoke: "TEXT_POKE",
	RecordAuxOutputHWID: "AUX_OUTPUT_HW_ID", RecordFinishedRound: "FINISHED_ROUND",
	RecordIDIndex: "ID_INDEX", RecordAuxtraceInfo: "AUXTRACE_INFO", RecordAuxtrace: "AUXTRACE",
	RecordAuxtraceError: "AUXTRACE_ERROR", RecordThreadMap: "THREAD_MAP", RecordCPUMap: "CPU_MAP",
	RecordStatConfig: "STAT_CONFIG", RecordStat: "STAT", RecordStatRound: "STAT_ROUND",
	RecordEventUpdate: "EVENT_UPDATE", RecordTimeConv: "TIME_CONV", RecordFinishedInit: "FINISHED_INIT",
}

// RecordName returns the perf name of a record type ("SAMPLE", "MMAP2"…).
func RecordName(t uint32) string {
	if n, ok := recordNames[t]; ok {
		return n
	}
	return "TYPE_" + strconv.FormatUint(uint64(t), 10)
}

// Dump writes one line per record of r — offset, type and decoded fields —
// the text view of a perf.data for debugging and golden tests. Strings
// from the file are quoted.
func Dump(w io.Writer, r *Reader) error {
	for i, a := range r.Attrs {
		fmt.Fprintf(w, "attr %d: %s sample_type=%s ids=%d\n", i, strconv.Quote(a.Name), sampleTypeString(a.SampleType), len(a.IDs))
	}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		h := rec.Hdr()
		fmt.Fprintf(w, "0x%x %s misc=%d", h.Offset, RecordName(h.Type), h.Misc)
		switch v := rec.(type) {
		case *Sample:
			fmt.Fprintf(w, " pid=%d tid=%d time=%d ip=0x%x period=%d", v.PID, v.TID, v.Time, v.IP, v.Period)
			if len(v.Callchain) > 0 {
				var b strings.Builder
				for i, c := range v.Callchain {
					if i > 0 {
						b.WriteByte(',')
					}
					b.WriteString(callchainEntry(c))
				}
				fmt.Fprintf(w, " callchain=%s", b.String())
			}
			if len(v.StackUser) > 0 {
				fmt.Fprintf(w, " regs=%d stack=%d", len(v.RegsUser), len(v.StackUser))
			}
		case *Mmap:
			fmt.Fprintf(w, " pid=%d tid=%d addr=0x%x len=0x%x pgoff=0x%x prot=%d file=%s", v.PID, v.TID, v.Addr, v.Len, v.Pgoff, v.Prot, strconv.Quote(v.Filename))
		case *Comm:
			fmt.Fprintf(w, " pid=%d tid=%d comm=%s", v.PID, v.TID, strconv.Quote(v.Comm))
		case *Task:
			fmt.Fprintf(w, " pid=%d ppid=%d tid=%d ptid=%d time=%d", v.PID, v.PPID, v.TID, v.PTID, v.Time)
		case *Cgroup:
			fmt.Fprintf(w, " id=%d path=%s", v.ID, strconv.Quote(v.Path))
		case *Lost:
			fmt.Fprintf(w, " id=%d lost=%d", v.ID, v.Lost)
		case *Throttle:
			fmt.Fprintf(w, " time=%d id=%d", v.Time, v.ID)
		case *Other:
			fmt.Fprintf(w, " size=%d", v.Size)
		}
		fmt.Fprintln(w)
	}
	for _, warn := range r.Warnings() {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	return nil
}

// callchainEntry renders an address, or a context marker by name.
func callchainEntry(c uint64) string {
	switch c {
	case ContextHV:
		return "[hv]"
	case ContextKernel:
		return "[kernel]"
	case ContextUser:
		return "[user]"
	case ContextGuest:
		return "[guest]"
	case ContextGuestKernel:
		return "[guest-kernel]"
	case ContextGuestUser:
		return "[guest-user]"
	}
	return "0x" + strconv.FormatUint(c, 16)
}
