package perfdata

// Register numbers in perf's user-register sample (arch/*/include/uapi/asm/perf_regs.h).
const (
	x86RegBP = 6
	x86RegSP = 7
	x86RegIP = 8
	armRegFP = 29
	armRegSP = 31
	armRegLR = 30
	armRegPC = 32
)

// maxUnwindFrames bounds frame-pointer unwinding; a copied user stack is at
// most 64 KiB (perf's --call-graph dwarf limit), which holds no more than
// 4096 16-byte frame records.
const maxUnwindFrames = 4096

// regAt returns register reg from a sample's user registers, which hold
// only the registers selected by mask, in register-number order.
func regAt(regs []uint64, mask uint64, reg uint) (uint64, bool) {
	if mask&(1<<reg) == 0 {
		return 0, false
	}
	i := regCount(mask & (1<<reg - 1))
	if i >= len(regs) {
		return 0, false
	}
	return regs[i], true
}

// unwindFP walks the frame-pointer chain of a --call-graph dwarf sample
// within the copied user stack and appends the user frames (the sample's
// user IP first, then return addresses) to out. Go keeps a frame pointer
// on amd64 and arm64: [fp] holds the caller's fp and [fp+8] the return
// address. A leaf that has not set up a frame (frameless reports it, from
// the binary's pcsp table) still has its return address on top of the
// stack (amd64) or in the link register (arm64), and the frame pointer
// still names its caller's frame. ok is false when the registers needed
// are missing.
func unwindFP(s *Sample, arch string, out []uint64, frameless func(pid uint32, ip uint64) bool) ([]uint64, bool) {
	mask := s.Attr.SampleRegsUser
	var ipReg, spReg, fpReg uint = x86RegIP, x86RegSP, x86RegBP
	if arch == "aarch64" || arch == "arm64" {
		ipReg, spReg, fpReg = armRegPC, armRegSP, armRegFP
	}
	if s.RegsUserABI == 0 {
		return out, false
	}
	ip, ok1 := regAt(s.RegsUser, mask, ipReg)
	sp, ok2 := regAt(s.RegsUser, mask, spReg)
	fp, ok3 := regAt(s.RegsUser, mask, fpReg)
	if !ok1 || !ok2 || !ok3 {
		return out, false
	}
	out = append(out, ip)
	stack := s.StackUser
	top := sp + uint64(len(stack))
	if frameless != nil && frameless(s.PID, ip) {
		var ret uint64
		if ipReg == armRegPC {
			ret, _ = regAt(s.RegsUser, mask, armRegLR)
		} else if len(stack) >= 8 {
			ret = le.Uint64(stack)
		}
		if ret != 0 {
			out = append(out, ret)
		}
	}
	for i := 0; i < maxUnwindFrames; i++ {
		if fp < sp || fp > top-16 || top < 16 {
			break
		}
		off := fp - sp
		next, ret := le.Uint64(stack[off:]), le.Uint64(stack[off+8:])
		if ret == 0 {
			break
		}
		out = append(out, ret)
		if next <= fp {
			break
		}
		fp = next
	}
	return out, true
}
