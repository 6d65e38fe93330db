package gocore

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/coroner/coroner/bundle/elfcore"
	"github.com/coroner/coroner/bundle/goroutines"
)

// A core the kernel wrote for a crash keeps what the runtime knew of it:
// the thread that dumped (the core's first thread) runs the crashed
// goroutine (its M's curg), whose g._panic.arg holds the panic value and
// whose g.sig, g.sigcode0, g.sigcode1 and g.sigpc the signal that a fault
// turned into a panic. A fatal error's text is runtime.throw's or
// runtime.fatal's argument, which neither keeps anywhere but in the
// closure each passes to systemstack to print it: a function value on
// throw's frame, the closure's code address followed by the captured
// string. It lies near the top of the thread's stack (the system stack,
// where throw runs for the runtime's own fatal errors such as a stack
// overflow) or of the goroutine's (where it runs for fatal errors a
// program's misuse raises, such as concurrent map writes): only the frames
// that dump core (fatalthrow, crash, raise) lie between it and the stack
// pointer.

// throwScan bounds how far above a stack pointer the fatal error's
// closure is looked for: throw's frame lies under the dozen small frames
// of fatalthrow, crash, dieFromSignal and raise, a few hundred bytes,
// and 16 KiB is a whole system stack of a thread the runtime started.
const throwScan = 16 << 10

// throwClosures are the closures runtime.throw and runtime.fatal pass to
// systemstack, with the word offsets at which their captured string may
// start: throw captures only s; fatal captures its _panic first.
var throwClosures = map[string][]int{"runtime.throw.func1": {1}, "runtime.fatal.func1": {1, 2}}

// crashDetails reads the crash a core the kernel wrote for a fatal signal
// records, and marks the crashed goroutine in res's census. It returns an
// error when it finds neither a panic nor a fatal error: delve reads such
// a core.
func (fr *fastReader) crashDetails(l *layout, cfi *callFrames, info *elfcore.Core, res *fastResult) (*goroutines.Crash, error) {
	if len(info.Threads) == 0 {
		return nil, errors.New("the core records no threads")
	}
	th := info.Threads[0]
	m, ok := fr.threadMs(l)[uint64(th.TID)]
	if !ok {
		return nil, fmt.Errorf("the dumping thread %d has no M on runtime.allm", th.TID)
	}
	c := &goroutines.Crash{Thread: th.TID}
	var gb []byte
	if m.curg != 0 {
		gb = make([]byte, fr.o.size)
		if err := fr.mem.read(gb, m.curg); err != nil {
			return nil, fmt.Errorf("the crashed goroutine's g at %#x: %w", m.curg, err)
		}
		c.GoroutineID = int64(fr.u64(gb, fr.o.goid))
	}
	if text, ok := fr.throwText(l, cfi, th, m, gb); ok {
		c.Kind, c.Message = "fatal error", text
	} else if gb != nil {
		msg, ok, err := fr.panicArg(l, gb)
		if err != nil {
			return nil, err
		}
		if ok {
			c.Kind, c.Message = "panic", msg
		}
	}
	if c.Kind == "" {
		return nil, fmt.Errorf("no panic or fatal error found on thread %d (goroutine %d)", th.TID, c.GoroutineID)
	}
	if gb != nil {
		fr.faultSignal(l, gb, c)
	}
	if c.GoroutineID != 0 {
		for i := range res.census.Goroutines {
			if g := &res.census.Goroutines[i]; g.ID == c.GoroutineID {
				g.Crashed = true
				c.Site = goroutines.CrashSite(g.Frames)
				break
			}
		}
	}
	return c, nil
}

// panicArg formats g._panic.arg of the goroutine whose g is gb; ok is
// false when the goroutine is not panicking (or only in runtime.Goexit).
func (fr *fastReader) panicArg(l *layout, gb []byte) (string, bool, error) {
	argOff, err := l.off("runtime._panic", "arg")
	if err != nil || fr.o.panic < 0 {
		return "", false, nil
	}
	p := fr.u64(gb, fr.o.panic)
	if p == 0 || fr.goexit(p) {
		return "", false, nil
	}
	to, ok := l.typeOffsets()
	if !ok {
		return "", false, errors.New("the program's DWARF does not describe type descriptors (internal/abi.Type, runtime.moduledata)")
	}
	var eface [16]byte
	if err := fr.mem.read(eface[:], p+uint64(argOff)); err != nil {
		return "", false, fmt.Errorf("_panic.arg at %#x: %w", p+uint64(argOff), err)
	}
	msg, err := fr.panicValue(&to, binary.LittleEndian.Uint64(eface[:]), binary.LittleEndian.Uint64(eface[8:]))
	if err != nil {
		return "", false, fmt.Errorf("panic value: %w", err)
	}
	return msg, true, nil
}

// faultSignal copies the signal a fault turned into a panic (g.sig and
// the fields beside it) into c.
func (fr *fastReader) faultSignal(l *layout, gb []byte, c *goroutines.Crash) {
	if fr.o.sig < 0 || fr.o.sig+4 > int64(len(gb)) {
		return
	}
	sig := binary.LittleEndian.Uint32(gb[fr.o.sig:])
	if sig == 0 {
		return
	}
	c.Signal = elfcore.SignalName(int(sig))
	word := func(field string) (uint64, bool) {
		off, err := l.off("runtime.g", field)
		if err != nil || off < 0 || off+8 > int64(len(gb)) {
			return 0, false
		}
		return fr.u64(gb, off), true
	}
	if v, ok := word("sigcode0"); ok {
		c.Code = fmt.Sprintf("%#x", v)
	}
	if v, ok := word("sigcode1"); ok {
		c.FaultAddr = v
	}
	if v, ok := word("sigpc"); ok {
		c.PC = v
	}
}

// throwText looks for the closure of runtime.throw or runtime.fatal above
// the dumping thread's stack pointer, above the ones the signal frames on
// its signal stack saved (the runtime's SIGABRT to itself interrupts the
// system stack a throw crashes on), then above the crashed goroutine's
// saved one (gb, nil without a goroutine), and returns its string.
func (fr *fastReader) throwText(l *layout, cfi *callFrames, th elfcore.Thread, m onThread, gb []byte) (string, bool) {
	entries := map[uint64][]int{}
	for name, offs := range throwClosures {
		if s, ok := l.syms[name]; ok && s.Value != 0 {
			entries[s.Value] = offs
		}
	}
	if len(entries) == 0 {
		return "", false
	}
	type span struct{ lo, hi uint64 }
	stacks := []span{{m.g0Lo, m.g0Hi}, {m.sigLo, m.sigHi}}
	sps := []uint64{th.SP}
	for sp, bp, n := th.SP, th.BP, 0; n < maxNestedSignals && sp >= m.sigLo && sp < m.sigHi; n++ {
		var ok bool
		if _, _, sp, bp, ok = fr.signalContext(cfi, bp, m.sigLo, m.sigHi); !ok {
			break
		}
		sps = append(sps, sp)
	}
	if gb != nil {
		stacks = append(stacks, span{fr.u64(gb, fr.o.stackLo), fr.u64(gb, fr.o.stackHi)})
		sps = append(sps, fr.u64(gb, fr.o.schedSP))
	}
	for _, sp := range sps {
		for _, s := range stacks {
			if sp == 0 || sp < s.lo || sp >= s.hi {
				continue
			}
			if text, ok := fr.scanClosure(entries, sp, min(s.hi, sp+throwScan)); ok {
				return text, true
			}
		}
	}
	return "", false
}

// scanClosure looks through the words of [lo, hi) for a function value
// whose code is one of entries and whose captured string is readable.
func (fr *fastReader) scanClosure(entries map[uint64][]int, lo, hi uint64) (string, bool) {
	lo &^= 7
	if hi <= lo {
		return "", false
	}
	b := make([]byte, hi-lo)
	if fr.mem.read(b, lo) != nil {
		return "", false
	}
	word := func(i int) uint64 { return binary.LittleEndian.Uint64(b[8*i:]) }
	n := len(b) / 8
	for i := 0; i < n; i++ {
		offs, ok := entries[word(i)]
		if !ok {
			continue
		}
		for _, k := range offs {
			if i+k+1 >= n {
				continue
			}
			p, size := word(i+k), word(i+k+1)
			if p == 0 || size == 0 || size > maxPanicText {
				continue
			}
			text := make([]byte, size)
			if fr.mem.read(text, p) == nil {
				return string(text), true
			}
		}
	}
	return "", false
}
