package gocore

import (
	"debug/elf"
	"encoding/binary"
	"sort"

	"github.com/go-delve/delve/pkg/dwarf/frame"

	"github.com/coroner/coroner/bundle/elfcore"
	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/bundle/symbolize"
)

// A running goroutine's saved registers (g.sched) are stale: the thread
// that runs it holds the live ones, in the core's NT_PRSTATUS notes. The
// runtime links every thread's M on runtime.allm, and each M records its
// kernel thread ID (m.procid, set in minit) and the goroutine it runs
// (m.curg); that pairs each note's registers with a goroutine without a
// debugger.

// maxMs bounds the walk of runtime.allm: the runtime refuses to start more
// than sched.maxmcount threads, 10000 unless debug.SetMaxThreads raised it
// (runtime/proc.go); 1<<16 leaves room for that while stopping a cyclic
// list in a damaged core.
const maxMs = 1 << 16

// dwarfRegSP is rsp's DWARF register number on amd64 (System V psABI,
// figure 3.36).
const dwarfRegSP = 7

// mOffsets are the runtime.m fields the thread pairing reads.
type mOffsets struct{ procid, curg, gsignal, alllink, g0 int64 }

func (l *layout) mOffsets() (*mOffsets, bool) {
	procid, err1 := l.off("runtime.m", "procid")
	curg, err2 := l.off("runtime.m", "curg")
	gsignal, err3 := l.off("runtime.m", "gsignal")
	alllink, err4 := l.off("runtime.m", "alllink")
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return nil, false
	}
	return &mOffsets{procid: procid, curg: curg, gsignal: gsignal, alllink: alllink, g0: optionalOff(l, "runtime.m", "g0")}, true
}

// onThread is what a thread's M says: the goroutine it runs and the
// bounds of its signal-handling stack and of its system stack (g0's).
type onThread struct {
	curg, sigLo, sigHi uint64
	g0Lo, g0Hi         uint64
}

// threadMs reads runtime.allm: what each thread's M says, by thread ID;
// nil when the program's DWARF does not describe runtime.m.
func (fr *fastReader) threadMs(l *layout) map[uint64]onThread {
	mo, ok := l.mOffsets()
	allm, ok2 := l.syms["runtime.allm"]
	if !ok || !ok2 {
		return nil
	}
	ms := map[uint64]onThread{}
	mp, err := fr.mem.u64(allm.Value)
	for n := 0; err == nil && mp != 0 && n < maxMs; n++ {
		tid, err1 := fr.mem.u64(mp + uint64(mo.procid))
		curg, err2 := fr.mem.u64(mp + uint64(mo.curg))
		gsignal, err3 := fr.mem.u64(mp + uint64(mo.gsignal))
		if err1 != nil || err2 != nil || err3 != nil {
			break
		}
		t := onThread{curg: curg}
		if gsignal != 0 {
			t.sigLo, _ = fr.mem.u64(gsignal + uint64(fr.o.stackLo))
			t.sigHi, _ = fr.mem.u64(gsignal + uint64(fr.o.stackHi))
		}
		if mo.g0 >= 0 {
			if g0, err := fr.mem.u64(mp + uint64(mo.g0)); err == nil && g0 != 0 {
				t.g0Lo, _ = fr.mem.u64(g0 + uint64(fr.o.stackLo))
				t.g0Hi, _ = fr.mem.u64(g0 + uint64(fr.o.stackHi))
			}
		}
		ms[tid] = t
		mp, err = fr.mem.u64(mp + uint64(mo.alllink))
	}
	return ms
}

// threadStacks replaces the stale stacks of running goroutines with ones
// unwound from their threads' registers, and removes them from
// res.running. Goroutines it cannot pair with a thread stay there.
func (fr *fastReader) threadStacks(l *layout, ef *elf.File, threads []elfcore.Thread, res *fastResult) {
	if len(res.runningAt) == 0 {
		return
	}
	ms := fr.threadMs(l)
	cfi := newCallFrames(ef, fr.sym.pcln)
	gb := make([]byte, fr.o.size)
	for _, th := range threads {
		m, ok := ms[uint64(th.TID)]
		if !ok || m.curg == 0 {
			continue
		}
		i, ok := res.runningAt[m.curg]
		if !ok || fr.mem.read(gb, m.curg) != nil {
			continue
		}
		g := &res.census.Goroutines[i]
		lo, hi := fr.u64(gb, fr.o.stackLo), fr.u64(gb, fr.o.stackHi)
		switch {
		case th.SP >= lo && th.SP < hi:
			g.Frames = fr.unwindThread(cfi, th.PC, th.SP, th.BP, lo, hi)
		case th.SP >= m.sigLo && th.SP < m.sigHi:
			// The thread is handling a signal that interrupted the
			// goroutine, whose registers the kernel saved in the
			// signal frame; its g.sched is stale. A signal taken inside
			// a handler (the runtime raising SIGABRT to crash) nests a
			// frame per signal. Without the frames the goroutine stays
			// for delve.
			sp, bp := th.SP, th.BP
			var pc uint64
			for n := 0; n < maxNestedSignals && sp >= m.sigLo && sp < m.sigHi; n++ {
				if _, pc, sp, bp, ok = fr.signalContext(cfi, bp, m.sigLo, m.sigHi); !ok {
					break
				}
			}
			switch {
			case ok && sp >= lo && sp < hi:
				g.Frames = fr.unwindThread(cfi, pc, sp, bp, lo, hi)
			case ok && sp >= m.g0Lo && sp < m.g0Hi:
				// The signal interrupted the thread on its system stack
				// (a throw crashes there): the switch there saved the
				// goroutine's registers.
				g.Frames = fr.unwind(fr.u64(gb, fr.o.schedPC), fr.u64(gb, fr.o.schedSP), fr.u64(gb, fr.o.schedBP), lo, hi)
			default:
				continue
			}
		default:
			// The thread is on its system stack; the switch there
			// (systemstack, mcall) saved the goroutine's registers.
			g.Frames = fr.unwind(fr.u64(gb, fr.o.schedPC), fr.u64(gb, fr.o.schedSP), fr.u64(gb, fr.o.schedBP), lo, hi)
		}
		g.Thread = th.TID
		delete(res.running, g.ID)
	}
}

// Where the kernel leaves an interrupted thread's registers: on a
// handler's entry the stack holds the rt_sigframe, whose first word is
// the handler's return address (to the signal restorer), followed by the
// ucontext; so the ucontext sits at the canonical frame address of the
// runtime's signal trampoline. Offsets within it (linux
// arch/x86/include/uapi/asm/sigcontext.h, ucontext.h): uc_flags, uc_link
// and the 24-byte uc_stack, then sigcontext r8…r15, rdi, rsi, rbp, rbx,
// rdx, rax, rcx, rsp, rip, 8 bytes each.
const (
	ucontextBP = 40 + 10*8
	ucontextSP = 40 + 15*8
	ucontextPC = 40 + 16*8
	// maxSignalFrames bounds the frame-pointer walk from the handler up
	// to the trampoline: sigtramp, sigtrampgo, sighandler and what it
	// calls (a traceback, a crash) are a few dozen frames.
	maxSignalFrames = 64
	// maxNestedSignals bounds the signal frames followed on one signal
	// stack: a crash nests two (the fatal signal, then the SIGABRT the
	// runtime raises); a few more cover a signal during either.
	maxNestedSignals = 4
)

// sigtramps are the runtime's signal trampolines, the outermost frame on
// a signal stack (runtime/sys_linux_amd64.s).
var sigtramps = map[string]bool{"runtime.sigtramp": true, "runtime.cgoSigtramp": true}

// signalContext follows the frame records from bp on the signal stack
// [lo, hi) to the one that returns into the signal trampoline, and reads
// the interrupted registers from the ucontext above the trampoline; uc is
// the ucontext's address.
func (fr *fastReader) signalContext(cfi *callFrames, bp, lo, hi uint64) (uc, pc, sp, fbp uint64, ok bool) {
	for n := 0; n < maxSignalFrames && bp >= lo && bp+16 <= hi; n++ {
		ret, err1 := fr.mem.u64(bp + 8)
		next, err2 := fr.mem.u64(bp)
		if err1 != nil || err2 != nil || ret == 0 {
			return 0, 0, 0, 0, false
		}
		if sigtramps[fr.sym.funcAt(ret-1)] {
			uc, ok := cfi.cfa(ret, bp+16)
			if !ok {
				return 0, 0, 0, 0, false
			}
			pc, err1 := fr.mem.u64(uc + ucontextPC)
			sp, err2 := fr.mem.u64(uc + ucontextSP)
			fbp, err3 := fr.mem.u64(uc + ucontextBP)
			return uc, pc, sp, fbp, err1 == nil && err2 == nil && err3 == nil && pc != 0
		}
		if next <= bp {
			return 0, 0, 0, 0, false
		}
		bp = next
	}
	return 0, 0, 0, 0, false
}

// unwindThread unwinds a stack from a thread's live registers. A thread
// can stop anywhere: in a function's prologue, in one that keeps no frame
// record, or in one the runtime's preemption entered by signal
// (asyncPreempt, whose caller was interrupted between two instructions,
// not at a call). So each frame's return address is found through its
// call-frame information (the canonical frame address, CFA, is SP plus
// the frame size at pc), as delve and the runtime's traceback do; where
// that information is missing, the frame-pointer chain takes over.
func (fr *fastReader) unwindThread(cfi *callFrames, pc, sp, bp, lo, hi uint64) []goroutines.Frame {
	frames := fr.sym.frames(pc)
	exact := true // pc is where execution stopped, not a return address
	for len(frames) < maxFrames {
		look := pc
		if !exact {
			look = pc - 1 // within the call, not after it
		}
		cfa, ok := cfi.cfa(look, sp)
		if !ok || cfa < sp+8 || cfa > hi {
			// No call-frame information (not Go code, or damaged): the
			// frame record at bp is the best guess.
			if bp < lo || bp+16 > hi {
				break
			}
			cfa = bp + 16
		}
		ret, err := fr.mem.u64(cfa - 8)
		if err != nil || ret == 0 {
			break
		}
		// The frame record, once built, sits just below the return
		// address (amd64 Go prologues push BP there and point BP at it);
		// before that, and in functions without one, BP still holds the
		// caller's.
		if bp == cfa-16 {
			if v, err := fr.mem.u64(bp); err == nil {
				bp = v
			}
		}
		// asyncPreempt's "return address" is the interrupted pc itself.
		exact = fr.sym.funcAt(look) == "runtime.asyncPreempt"
		if exact {
			frames = append(frames, fr.sym.frames(ret)...)
		} else {
			frames = append(frames, fr.sym.frames(ret-1)...)
		}
		if fr.sym.funcAt(ret-1) == "runtime.goexit" {
			break // the bottom of every goroutine's stack
		}
		pc, sp = ret, cfa
	}
	if len(frames) > maxFrames {
		frames = frames[:maxFrames]
	}
	return frames
}

// callFrames is the executable's .debug_frame, parsed on first use, or
// for an executable without it, the pclntab's stack-pointer deltas.
type callFrames struct {
	ef     *elf.File
	pcln   *symbolize.Binary // nil with .debug_frame
	fdes   frame.FrameDescriptionEntries
	parsed bool
}

func newCallFrames(ef *elf.File, pcln *symbolize.Binary) *callFrames {
	return &callFrames{ef: ef, pcln: pcln}
}

// cfa returns the canonical frame address at pc given the stack pointer,
// when the call-frame information defines it as SP plus an offset (as Go's
// linker always does).
func (c *callFrames) cfa(pc, sp uint64) (cfa uint64, ok bool) {
	defer func() {
		// delve's parser trusts the section; a damaged one is no CFA.
		if recover() != nil {
			cfa, ok = 0, false
		}
	}()
	if !c.parsed {
		c.parsed = true
		if s := c.ef.Section(".debug_frame"); s != nil {
			if data, err := s.Data(); err == nil {
				if fdes, err := frame.Parse(data, binary.LittleEndian, 0, 8, 0); err == nil {
					sort.Slice(fdes, func(i, j int) bool { return fdes[i].Begin() < fdes[j].Begin() })
					c.fdes = fdes
				}
			}
		}
	}
	if c.pcln != nil {
		return pclnCFA(c.pcln, pc, sp)
	}
	fde, err := c.fdes.FDEForPC(pc)
	if err != nil {
		return 0, false
	}
	ctx, err := fde.EstablishFrame(pc)
	if err != nil || ctx.CFA.Rule != frame.RuleCFA || ctx.CFA.Reg != dwarfRegSP {
		return 0, false
	}
	return uint64(int64(sp) + ctx.CFA.Offset), true
}
