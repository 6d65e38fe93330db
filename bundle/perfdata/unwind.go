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
// address. ok is false when the registers needed are missing.
//
// The frame pointer names the sampled function's own frame only once its
// prologue has run and until its epilogue starts; in a frameless leaf, and
// at the edges of any function, it still names the caller's frame, and
// walking from it alone would drop the caller. spDelta gives, from the
// binary's pcsp table, how far the stack pointer is below its value at
// entry at a given IP; it settles where the return address is:
//
//   - amd64: at sp+spdelta, since CALL pushed it just above the frame. If
//     fp is not the frame record just below it (sp+spdelta-8, where
//     the prologue's PUSHQ BP put the caller's fp), the function's own
//     record is not set up, fp is still the caller's, and the return
//     address is taken from the stack before walking on from fp.
//   - arm64: in the link register while the function has moved nothing
//     (spdelta 0); a framed arm64 prologue stores it and moves the stack
//     pointer in one instruction, so the chain covers the rest.
func unwindFP(s *Sample, arch string, out []uint64, spDelta func(pid uint32, ip uint64) (int, bool)) ([]uint64, bool) {
	mask := s.Attr.SampleRegsUser
	var ipReg, spReg, fpReg uint = x86RegIP, x86RegSP, x86RegBP
	arm := arch == "aarch64" || arch == "arm64"
	if arm {
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
	if spDelta != nil {
		if d, ok := spDelta(s.PID, ip); ok && d >= 0 {
			var ret uint64
			switch {
			case arm:
				if d == 0 {
					ret, _ = regAt(s.RegsUser, mask, armRegLR)
				}
			case uint64(d)+8 <= uint64(len(stack)) && fp != sp+uint64(d)-8:
				ret = le.Uint64(stack[d:])
			}
			if ret != 0 {
				out = append(out, ret)
			}
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
