package coredump

import (
	"debug/elf"
	"encoding/binary"
	"sort"

	"github.com/go-delve/delve/pkg/dwarf/frame"

	"github.com/coroner/coroner/bundle/corefile"
	"github.com/coroner/coroner/bundle/goroutines"
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
type mOffsets struct{ procid, curg, alllink int64 }

func (l *layout) mOffsets() (*mOffsets, bool) {
	procid, err1 := l.off("runtime.m", "procid")
	curg, err2 := l.off("runtime.m", "curg")
	alllink, err3 := l.off("runtime.m", "alllink")
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, false
	}
	return &mOffsets{procid: procid, curg: curg, alllink: alllink}, true
}

// threadStacks replaces the stale stacks of running goroutines with ones
// unwound from their threads' registers, and removes them from
// res.running. Goroutines it cannot pair with a thread stay there.
func (fr *fastReader) threadStacks(l *layout, ef *elf.File, threads []corefile.Thread, res *fastResult) {
	if len(res.runningAt) == 0 {
		return
	}
	mo, ok := l.mOffsets()
	allm, ok2 := l.syms["runtime.allm"]
	if !ok || !ok2 {
		return
	}
	curgOf := map[uint64]uint64{} // thread ID → the g its M runs
	mp, err := fr.mem.u64(allm.Value)
	for n := 0; err == nil && mp != 0 && n < maxMs; n++ {
		tid, err1 := fr.mem.u64(mp + uint64(mo.procid))
		curg, err2 := fr.mem.u64(mp + uint64(mo.curg))
		if err1 != nil || err2 != nil {
			break
		}
		if curg != 0 {
			curgOf[tid] = curg
		}
		mp, err = fr.mem.u64(mp + uint64(mo.alllink))
	}
	cfi := newCallFrames(ef)
	gb := make([]byte, fr.o.size)
	for _, th := range threads {
		gp, ok := curgOf[uint64(th.TID)]
		if !ok {
			continue
		}
		i, ok := res.runningAt[gp]
		if !ok || fr.mem.read(gb, gp) != nil {
			continue
		}
		g := &res.census.Goroutines[i]
		lo, hi := fr.u64(gb, fr.o.stackLo), fr.u64(gb, fr.o.stackHi)
		if th.SP >= lo && th.SP < hi {
			g.Frames = fr.unwindThread(cfi, th.PC, th.SP, th.BP, lo, hi)
		} else {
			// The thread is on its system or signal stack; the switch
			// there (systemstack, mcall) saved the goroutine's registers.
			g.Frames = fr.unwind(fr.u64(gb, fr.o.schedPC), fr.u64(gb, fr.o.schedSP), fr.u64(gb, fr.o.schedBP), lo, hi)
		}
		g.Thread = th.TID
		delete(res.running, g.ID)
	}
}

// unwindThread unwinds a stack from a thread's live registers. The
// innermost function may be in its prologue or keep no frame record, so
// its return address is found through its call-frame information (the
// canonical frame address, CFA, is SP plus the frame size at pc); from
// its caller on, frame pointers serve as for parked goroutines.
func (fr *fastReader) unwindThread(cfi *callFrames, pc, sp, bp, lo, hi uint64) []goroutines.Frame {
	frames := fr.sym.frames(pc)
	cfa, ok := cfi.cfa(pc, sp)
	if !ok || cfa < sp+8 || cfa > hi {
		// No call-frame information (not Go code, or damaged): the frame
		// record at bp is the best guess.
		if bp < lo || bp+16 > hi {
			return frames
		}
		cfa = bp + 16
	}
	ret, err := fr.mem.u64(cfa - 8)
	if err != nil || ret == 0 {
		return frames
	}
	// The frame record, once built, sits just below the return address
	// (amd64 Go prologues push BP there and point BP at it); before that,
	// and in functions without one, BP still holds the caller's.
	callerBP := bp
	if bp == cfa-16 {
		if v, err := fr.mem.u64(bp); err == nil {
			callerBP = v
		}
	}
	rest := fr.unwind(ret, cfa, callerBP, lo, hi)
	frames = append(frames, rest...)
	if len(frames) > maxFrames {
		frames = frames[:maxFrames]
	}
	return frames
}

// callFrames is the executable's .debug_frame, parsed on first use.
type callFrames struct {
	ef     *elf.File
	fdes   frame.FrameDescriptionEntries
	parsed bool
}

func newCallFrames(ef *elf.File) *callFrames { return &callFrames{ef: ef} }

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
