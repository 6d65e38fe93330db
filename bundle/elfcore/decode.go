package elfcore

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Thread is one NT_PRSTATUS note: a thread of the dumped process.
type Thread struct {
	TID    int    `json:"tid"`
	Signal int    `json:"signal,omitempty"` // pr_cursig: the signal being delivered
	PC     uint64 `json:"pc,omitempty"`
	SP     uint64 `json:"sp,omitempty"`
	// BP is the frame pointer (rbp, x29), the head of the frame chain.
	BP uint64 `json:"bp,omitempty"`
}

// Mapping is one NT_FILE entry: a file mapped into the process.
type Mapping struct {
	Start  uint64 `json:"start"`
	End    uint64 `json:"end"`
	Offset uint64 `json:"offset"` // file offset in bytes
	Path   string `json:"path"`
	// BuildID is the GNU build ID found in the dumped first page, if any.
	BuildID string `json:"build_id,omitempty"`
	// GoBuildID is the Go toolchain's build ID from the same page, if any.
	GoBuildID string `json:"go_build_id,omitempty"`
}

// Siginfo is the NT_SIGINFO note: the signal that killed the process.
type Siginfo struct {
	Signo int    `json:"signo"`
	Code  int    `json:"code"`
	Addr  uint64 `json:"addr,omitempty"` // fault address for SIGSEGV/SIGBUS/SIGILL/SIGFPE
	// PID is the sender's process ID (si_pid) of a signal a process sent
	// (si_code ≤ 0: kill, sigqueue, tgkill), as the receiver's PID
	// namespace numbers it (0 for a sender outside it); -1 otherwise.
	PID int `json:"pid"`
}

// elf_prstatus layout, common to amd64 and arm64 (see
// include/uapi/linux/elfcore.h): siginfo (12) + cursig (2) + pad (2) +
// sigpend (8) + sighold (8) + pid/ppid/pgrp/sid (16) + 4 timevals (64).
const (
	prstatusCursig = 12
	prstatusPid    = 32
	prstatusRegs   = 112
)

// Register indexes of the PC, SP and frame pointer in pr_reg.
var regIndex = map[uint16]struct{ pc, sp, bp int }{
	emX86_64:  {pc: 16, sp: 19, bp: 4},  // user_regs_struct: rip, rsp, rbp
	emAARCH64: {pc: 32, sp: 31, bp: 29}, // user_pt_regs: pc, sp, x29
}

func decodePrstatus(b []byte, h *header) (Thread, error) {
	if len(b) < prstatusRegs {
		return Thread{}, fmt.Errorf("NT_PRSTATUS of %d bytes is shorter than %d", len(b), prstatusRegs)
	}
	t := Thread{
		Signal: int(h.order.Uint16(b[prstatusCursig:])),
		TID:    int(int32(h.order.Uint32(b[prstatusPid:]))),
	}
	if ri, ok := regIndex[h.machine]; ok {
		pcOff, spOff := prstatusRegs+8*ri.pc, prstatusRegs+8*ri.sp
		bpOff := prstatusRegs + 8*ri.bp
		if len(b) >= pcOff+8 && len(b) >= spOff+8 && len(b) >= bpOff+8 {
			t.PC = h.order.Uint64(b[pcOff:])
			t.SP = h.order.Uint64(b[spOff:])
			t.BP = h.order.Uint64(b[bpOff:])
		}
	}
	return t, nil
}

// elf_prpsinfo (64-bit): pr_fname[16] at 40, pr_psargs[80] at 56; pid at 24.
const (
	prpsinfoPid    = 24
	prpsinfoFname  = 40
	prpsinfoPsargs = 56
	prpsinfoSize   = 136
)

func decodePrpsinfo(b []byte, o binary.ByteOrder) (fname, args string, pid int, err error) {
	if len(b) < prpsinfoSize {
		return "", "", 0, fmt.Errorf("NT_PRPSINFO of %d bytes is shorter than %d", len(b), prpsinfoSize)
	}
	fname = cstring(b[prpsinfoFname : prpsinfoFname+16])
	args = strings.TrimSpace(cstring(b[prpsinfoPsargs : prpsinfoPsargs+80]))
	return fname, args, int(int32(o.Uint32(b[prpsinfoPid:]))), nil
}

// decodeSiginfo reads the NT_SIGINFO note's descriptor.
func decodeSiginfo(b []byte, o binary.ByteOrder) (Siginfo, error) {
	if len(b) < SiginfoPrefix {
		return Siginfo{}, fmt.Errorf("NT_SIGINFO of %d bytes is shorter than %d", len(b), SiginfoPrefix)
	}
	return DecodeSiginfo(b, o), nil
}

// SiginfoPrefix is how much of a siginfo_t (128 bytes on Linux)
// DecodeSiginfo reads.
const SiginfoPrefix = 24

// DecodeSiginfo reads a siginfo_t from b (at least SiginfoPrefix bytes): si_signo,
// si_errno, si_code (int32 each), padding to 16, then the union, whose
// first fields are si_addr for fault signals and si_pid, si_uid for
// signals a process sent (include/uapi/asm-generic/siginfo.h).
func DecodeSiginfo(b []byte, o binary.ByteOrder) Siginfo {
	s := Siginfo{Signo: int(int32(o.Uint32(b[0:]))), Code: int(int32(o.Uint32(b[8:]))), PID: -1}
	switch {
	case s.Code <= 0: // SI_USER, SI_QUEUE, SI_TKILL, …: sent by a process
		s.PID = int(int32(o.Uint32(b[16:])))
	case s.Signo == 4, s.Signo == 7, s.Signo == 8, s.Signo == 11:
		// SIGILL, SIGBUS, SIGFPE, SIGSEGV raised by a fault carry its address.
		s.Addr = o.Uint64(b[16:])
	}
	return s
}

// decodeFile parses NT_FILE: count, page size, count×(start,end,pgoff),
// then count NUL-terminated paths.
func decodeFile(b []byte, o binary.ByteOrder) ([]Mapping, error) {
	if len(b) < 16 {
		return nil, fmt.Errorf("NT_FILE of %d bytes is shorter than its 16-byte header", len(b))
	}
	count, page := o.Uint64(b[0:]), o.Uint64(b[8:])
	if count > uint64(len(b)-16)/24 {
		return nil, fmt.Errorf("NT_FILE: %d entries do not fit in %d bytes", count, len(b))
	}
	if page == 0 || page&(page-1) != 0 || page > 1<<30 {
		return nil, fmt.Errorf("NT_FILE: page size %d is not a power of two", page)
	}
	maps := make([]Mapping, count)
	for i := range maps {
		e := b[16+24*i:]
		maps[i] = Mapping{Start: o.Uint64(e[0:]), End: o.Uint64(e[8:]), Offset: o.Uint64(e[16:]) * page}
	}
	names := b[16+24*count:]
	for i := range maps {
		j := strings.IndexByte(string(names), 0)
		if j < 0 {
			return maps[:i], fmt.Errorf("NT_FILE: path %d of %d is not NUL-terminated", i, count)
		}
		maps[i].Path = string(names[:j])
		names = names[j+1:]
	}
	return maps, nil
}

// signalNames maps Linux signal numbers to names (asm-generic/signal.h;
// identical on amd64 and arm64).
var signalNames = map[int]string{
	1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
	7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2",
	13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT",
	19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG", 24: "SIGXCPU",
	25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS",
}

// SignalName returns "SIGSEGV" for 11, or "signal N" for unknown numbers.
func SignalName(n int) string {
	if s, ok := signalNames[n]; ok {
		return s
	}
	return fmt.Sprintf("signal %d", n)
}
