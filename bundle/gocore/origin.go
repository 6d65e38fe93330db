package gocore

import (
	"debug/elf"
	"encoding/binary"
	"fmt"

	"github.com/coroner/coroner/bundle/elfcore"
	"github.com/coroner/coroner/bundle/goroutines"
)

// Under GOTRACEBACK=crash every fatal end of a Go process leaves a core
// whose notes say SIGABRT, whatever started it: the runtime re-raises
// SIGABRT at itself to dump core (runtime.crash → dieFromSignal →
// runtime.raise, a tgkill), so NT_SIGINFO shows SI_TKILL from the
// process's own PID. What started it is found on the thread that dumped
// (the core's first thread; the runtime makes the thread that took the
// fatal signal the one that crashes, golang.org/issue/63277):
//
//   - a signal handled by the runtime (runtime/signal_unix.go sighandler →
//     fatalsignal: kill -ABRT, kill -QUIT, a fault in runtime code)
//     leaves the kernel's signal frame on the thread's signal stack
//     (m.gsignal), and the re-raised SIGABRT nests a second one inside it.
//     Each frame (struct rt_sigframe) holds the signal's siginfo right
//     after its ucontext, so the outermost one says which signal arrived,
//     its si_code and its sender's PID.
//   - a panic or throw (fatalpanic, fatalthrow → crash) raises SIGABRT
//     directly: the only signal frame is that raise's, from the process
//     itself.
//
// The runtime's own records do not say this: sighandler sets g.sig,
// g.sigcode0 and g.sigpc only for a fault it turns into a panic (sigpanic;
// cleared again when that panic is recovered), and m.caughtsig (the
// goroutine that was running) and m.throwing are set for every fatal
// signal, sent from outside or not. So the signal frames decide the
// signal's origin, and g._panic, g.sig and the goroutines' frames decide
// whether anything was panicking or throwing besides.

// ucontextSize is sizeof(struct ucontext) on x86_64 (linux
// arch/x86/include/uapi/asm/ucontext.h): uc_flags, uc_link and the 24-byte
// uc_stack (40), struct sigcontext (256), uc_sigmask (8). The kernel's
// struct rt_sigframe (arch/x86/include/asm/sigframe.h) is the return
// address, the ucontext, then the siginfo.
const ucontextSize = 40 + 256 + 8

// sigOrigin is the signal that began the end of the process.
type sigOrigin struct {
	// first is the original signal: the outermost signal frame's siginfo
	// on the dumping thread, or NT_SIGINFO's when no handler ran.
	first elfcore.Siginfo
	// frames is how many signal frames the thread's signal stack held.
	frames int
	// tid is the dumping thread.
	tid int
}

// signalOrigin reads the siginfo of each signal frame on the signal stack
// of the core's first thread, innermost first, and returns the outermost.
// It returns nil when the frames cannot be read, or when the innermost
// does not agree with NT_SIGINFO (the kernel's record of the signal that
// dumped the core, which that frame's handler re-raised): then the frames
// were misread.
func (fr *fastReader) signalOrigin(l *layout, ef *elf.File, info *elfcore.Core) *sigOrigin {
	if info.Siginfo == nil || len(info.Threads) == 0 {
		return nil
	}
	th := info.Threads[0]
	o := &sigOrigin{first: *info.Siginfo, tid: th.TID}
	m, ok := fr.threadMs(l)[uint64(th.TID)]
	if !ok || m.sigHi <= m.sigLo || th.SP < m.sigLo || th.SP >= m.sigHi {
		// Not on its signal stack: no handler ran (a signal whose action
		// was the default), and NT_SIGINFO is the signal itself.
		return o
	}
	cfi := newCallFrames(ef, fr.sym.pcln)
	var infos []elfcore.Siginfo
	sp, bp := th.SP, th.BP
	for n := 0; n < maxNestedSignals && sp >= m.sigLo && sp < m.sigHi; n++ {
		uc, _, nsp, nbp, ok := fr.signalContext(cfi, bp, m.sigLo, m.sigHi)
		if !ok {
			return nil
		}
		var b [elfcore.SiginfoPrefix]byte
		if fr.mem.read(b[:], uc+ucontextSize) != nil {
			return nil
		}
		infos = append(infos, elfcore.DecodeSiginfo(b[:], binary.LittleEndian))
		sp, bp = nsp, nbp
	}
	in := infos[0]
	if in.Signo != info.Siginfo.Signo || in.Code != info.Siginfo.Code || in.PID != info.Siginfo.PID {
		return nil
	}
	o.first, o.frames = infos[len(infos)-1], len(infos)
	return o
}

// notePanic records a goroutine whose g says it is panicking: g._panic
// set (but for runtime.Goexit, which runs deferred calls through a
// _panic marked goexit), or g.sig set (a fault sigpanic is turning into
// a panic; runtime/panic.go clears it when the panic is recovered).
func (fr *fastReader) notePanic(o *gOffsets, id int64, b []byte) {
	if o.panic >= 0 {
		if p := fr.u64(b, o.panic); p != 0 && !fr.goexit(p) {
			fr.panicking = append(fr.panicking, fmt.Sprintf("goroutine %d has g._panic set", id))
		}
	}
	if o.sig >= 0 {
		if sig := binary.LittleEndian.Uint32(b[o.sig:]); sig != 0 {
			fr.panicking = append(fr.panicking, fmt.Sprintf("goroutine %d has g.sig=%s (a fault being turned into a panic)", id, elfcore.SignalName(int(sig))))
		}
	}
}

// goexit reports whether the _panic at p is runtime.Goexit's.
func (fr *fastReader) goexit(p uint64) bool {
	if fr.o.goexit < 0 {
		return false
	}
	var b [1]byte
	return fr.mem.read(b[:], p+uint64(fr.o.goexit)) == nil && b[0] != 0
}

// requestedDump decides from the core's content whether a core the
// kernel wrote on a fatal signal is a dump someone asked for: the signal
// that began it was sent from outside the process
// (goroutines.SentFromOutside, with the sender's PID the siginfo records),
// and no goroutine was panicking or throwing — neither by its g (res's
// panicking) nor by the frames of gs, the census's goroutines. It returns
// nil and the reason when it is not, or cannot tell.
func requestedDump(info *elfcore.Core, res *fastResult, gs []goroutines.Goroutine) (*goroutines.Requested, string) {
	o := res.origin
	if o == nil {
		return nil, "the signal that ended the process could not be read from the dumping thread's signal stack"
	}
	s := o.first
	name := elfcore.SignalName(s.Signo)
	if !goroutines.SentFromOutside(name, s.Code, s.PID, info.PID) {
		return nil, fmt.Sprintf("the process ended on %s %s from pid %d (the process is pid %d): not sent from outside", name, goroutines.CodeName(s.Code), s.PID, info.PID)
	}
	if len(res.panicking) > 0 {
		return nil, res.panicking[0]
	}
	for i := range gs {
		if goroutines.InPanic(gs[i].Frames) {
			return nil, fmt.Sprintf("goroutine %d is in panic or throw", gs[i].ID)
		}
	}
	where := fmt.Sprintf("NT_SIGINFO (no signal handler ran on thread %d)", o.tid)
	if o.frames > 0 {
		where = fmt.Sprintf("the outermost of %d signal frames on thread %d's signal stack (the inner ones are the runtime re-raising SIGABRT at itself to dump core)", o.frames, o.tid)
	}
	return &goroutines.Requested{
		Signal: name, Code: goroutines.CodeName(s.Code), SenderPID: s.PID, PID: info.PID,
		Evidence: fmt.Sprintf("%s holds %s %s %s (the process is pid %d), and no goroutine in panic or throw (stacks, g._panic, g.sig)",
			where, name, goroutines.CodeName(s.Code), sender(s.PID), info.PID),
	}, ""
}

// sender describes si_pid as the dumped process saw it.
func sender(pid int) string {
	switch {
	case pid < 0:
		return "from the kernel (for SIGQUIT: the terminal's Ctrl-\\)"
	case pid == 0:
		return "sent from outside the process's PID namespace (pid 0)"
	case pid == 1:
		return "sent by pid 1 (init: systemd's watchdog, or a container's init)"
	}
	return fmt.Sprintf("sent by pid %d", pid)
}

// notesRequested decides from the core's notes alone, for a census that
// found no panic or throw, whether the core is a snapshot or a dump
// someone asked for; nil when the notes cannot tell.
//
//   - The kernel writes a core only for a signal whose default action is
//     to dump one (kernelDumpsCore), so a core whose notes carry no such
//     signal (gcore records SIGSTOP, or none) was written by a debugger
//     while the process was stopped, alive.
//   - When NT_SIGINFO itself shows a signal sent from outside, no handler
//     re-raised it (the runtime's re-raise comes from the process itself):
//     the kernel dumped the core on the signal that was sent.
func notesRequested(info *elfcore.Core) *goroutines.Requested {
	sig := info.Signal()
	if !kernelDumpsCore(sig) {
		what := "no signal"
		if sig != 0 {
			what = elfcore.SignalName(sig) + ", a signal the kernel never writes a core for"
		}
		return &goroutines.Requested{SenderPID: -1, PID: info.PID,
			Evidence: "the core's notes record " + what + ": a debugger (gcore) wrote it while the process was stopped, alive"}
	}
	s := info.Siginfo
	if s == nil {
		return nil
	}
	name := elfcore.SignalName(s.Signo)
	if !goroutines.SentFromOutside(name, s.Code, s.PID, info.PID) {
		return nil
	}
	return &goroutines.Requested{Signal: name, Code: goroutines.CodeName(s.Code), SenderPID: s.PID, PID: info.PID,
		Evidence: fmt.Sprintf("NT_SIGINFO holds %s %s %s (the process is pid %d): the kernel dumped the core on the signal sent, which no handler re-raised",
			name, goroutines.CodeName(s.Code), sender(s.PID), info.PID)}
}
