package gocore

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/go-delve/delve/pkg/goversion"
	"github.com/go-delve/delve/service/api"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/elfcore"
	"github.com/coroner/coroner/bundle/goroutines"
)

// The fast census reads runtime.allgs, each g and its stack directly from
// the core and unwinds with frame pointers (which Go keeps on amd64),
// symbolizing each distinct PC once. delve's general unwinder
// evaluates DWARF call-frame rules per frame and loads every g as a typed
// variable, which costs tens of seconds on 100k goroutines; this path
// reads a few hundred bytes per goroutine.

// Bounds on what a damaged core can make the fast census do.
const (
	// maxAllgs bounds runtime.allglen: 16M goroutines need at least
	// 32 GiB of stacks (2 KiB minimum each), beyond any core we read.
	maxAllgs = 1 << 24
	// allgsChunk is how many g pointers are read per step.
	allgsChunk = 4096
	// stackWindow is how much of a goroutine's stack above its saved SP is
	// copied at once when no lent frame holds the whole stack; frames
	// beyond it are read one by one. A parked goroutine's innermost
	// frames (gopark and its callers) fit in 1 KiB.
	stackWindow = 1 << 10
	// maxSemaNodes bounds the walk of the runtime's semaphore tables.
	maxSemaNodes = 1 << 22
	// semTabSize is the runtime's number of semaphore roots
	// (runtime/sema.go: semTabSize = 251).
	semTabSize = 251
	// nsPerMinute converts g.waitsince deltas (nanotime) to minutes.
	nsPerMinute = 60e9
)

// Runtime goroutine states (runtime/runtime2.go).
const (
	gRunning   = 2
	gDead      = 6
	gDeadExtra = 11
	gScan      = 0x1000
)

// fastResult is the census of parked goroutines plus the IDs of those
// running on a thread, whose saved registers are stale: threadStacks or
// delve reads those.
type fastResult struct {
	census  *goroutines.Census
	running map[int64]bool
	// runningAt maps a running goroutine's g address to its census index.
	runningAt map[uint64]int
	// panicking says, for each goroutine whose g shows it panicking, why
	// (g._panic or g.sig set); its frames may not show it.
	panicking []string
	// origin is the signal that ended the process, as the core shows it
	// (signalOrigin); nil when unread.
	origin *sigOrigin
	// crash is what a core the kernel wrote for a fatal signal records
	// of the crash (crashDetails), read with the threads; crashErr says
	// why it is nil.
	crash    *goroutines.Crash
	crashErr error
}

type fastReader struct {
	mem   *coreMem
	o     *gOffsets
	sym   *symbolizer
	gover goversion.GoVersion
	now   int64
	// heldScan finds the locks parked goroutines hold; nil when no
	// mutex is contended.
	heldScan *heldScan
	buf      []byte
	pcs      []uint64 // unwind's call pcs, reused
	// hasLabels is set when the program links runtime/pprof's labelMap.
	hasLabels bool
	// chans locates the fields of the channels goroutines wait on;
	// hasChans is set when the program's DWARF describes them.
	chans    chanOffsets
	hasChans bool
	// heapChans are the channels fed by pending timers, with their
	// periods, in the order the sweep read the timers of the Ps' timer
	// heaps (heapTimers, chanTimer).
	heapChans []heapChan
	// panicking collects fastResult.panicking during the walk.
	panicking []string
	// creators and stacks intern what goroutines share: the go
	// statement's frame by g.gopc (creator), the symbolized stack by its
	// return addresses (unwind).
	creators map[uint64]*goroutines.Frame
	stacks   stackInterner
}

// Bounds on pprof labels read from a core.
const (
	// maxLabels bounds a goroutine's label count; real programs set a few.
	maxLabels = 64
	// maxLabelLen bounds one key or value.
	maxLabelLen = 1 << 10
)

// labels reads the label map at p, a g.labels: since Go 1.22 a *labelMap
// whose first field is a slice of {key, value string} pairs (runtime/pprof
// and internal/runtime/pprof/label); earlier maps are not read.
func (fr *fastReader) labels(p uint64) map[string]string {
	if !fr.hasLabels || p == 0 {
		return nil
	}
	arr, n, err := fr.mem.slice(p)
	if err != nil || n == 0 || n > maxLabels {
		return nil
	}
	raw := make([]byte, 32*n)
	if fr.mem.read(raw, arr) != nil {
		return nil
	}
	out := map[string]string{}
	for i := uint64(0); i < n; i++ {
		e := raw[32*i:]
		k, ok1 := fr.str(binary.LittleEndian.Uint64(e), binary.LittleEndian.Uint64(e[8:]))
		v, ok2 := fr.str(binary.LittleEndian.Uint64(e[16:]), binary.LittleEndian.Uint64(e[24:]))
		if ok1 && ok2 {
			out[k] = v
		}
	}
	return out
}

func (fr *fastReader) str(p, n uint64) (string, bool) {
	if n > maxLabelLen {
		return "", false
	}
	b := make([]byte, n)
	if n > 0 && fr.mem.read(b, p) != nil {
		return "", false
	}
	return string(b), true
}

func fastCensus(corePath, exePath string, gover goversion.GoVersion) (*fastResult, error) {
	cf, size, err := bundle.OpenSized(corePath)
	if err != nil {
		return nil, err
	}
	defer cf.Close()
	return fastCensusAt(cf, size, exePath, gover, false, nil)
}

// fastCensusAt is fastCensus over any reader of the core's bytes; with
// threads set, running goroutines are unwound from their threads'
// registers too (threadStacks) rather than left to delve. listed, unless
// nil, learns how many goroutines the list holds as soon as it is read,
// before the sweep reads them: the census's receiver makes room for them
// meanwhile (wireSender).
func fastCensusAt(cf io.ReaderAt, size int64, exePath string, gover goversion.GoVersion, threads bool, listed func(goroutines int)) (*fastResult, error) {
	exe := loadExe(exePath)
	defer exe.close()
	info, err := elfcore.Parse(cf, size)
	if err != nil {
		return nil, err
	}
	return fastCensusWith(cf, size, info, exe, gover, threads, listed)
}

// fastCensusWith is fastCensusAt for a core already parsed (info) and an
// executable being loaded (exe).
func fastCensusWith(cf io.ReaderAt, size int64, info *elfcore.Core, exe *exeLoad, gover goversion.GoVersion, threads bool, listed func(goroutines int)) (*fastResult, error) {
	if info.Machine != "amd64" {
		// arm64 keeps frame pointers too, but its frame records sit below
		// the frame; that layout is not implemented here.
		return nil, fmt.Errorf("frame-pointer census reads amd64 cores, not %s", info.Machine)
	}
	if err := exe.wait(); err != nil {
		return nil, err
	}
	ef, l, sym := exe.ef, exe.l, exe.sym
	o, err := l.gOffsets()
	if err != nil {
		return nil, err
	}
	mem := newCoreMem(cf, info)
	defer mem.close()
	mem.addExecutable(ef)
	fr := &fastReader{mem: mem, o: o, sym: sym, gover: gover, buf: make([]byte, stackWindow), creators: map[uint64]*goroutines.Frame{}}
	if l.fields["runtime/pprof.labelMap"] != nil {
		fr.hasLabels = true
	}
	fr.chans, fr.hasChans = l.chanOffsets()
	// The timer heaps are read beside the goroutine list, each a few
	// frames' decoding.
	var timers <-chan heapTimersRead
	if fr.hasChans {
		timers = readHeapTimers(cf, info, ef, l)
	}
	gps, census, err := fr.goroutineList(l)
	if err != nil {
		if timers != nil {
			<-timers
		}
		return nil, err
	}
	if listed != nil {
		listed(len(gps))
	}
	arrays := prepareSweep(len(gps))
	var ht heapTimersRead
	if timers != nil {
		ht = <-timers
	}
	fr.now = fr.nanotime(l)
	res, err := fr.walk(l, gps, census, arrays, ht.timers, ht.offsets)
	if err != nil {
		return nil, err
	}
	res.panicking = fr.panicking
	res.origin = fr.signalOrigin(l, ef, info)
	if threads {
		fr.threadStacks(l, ef, info.Threads, res)
		if kernelDumpsCore(info.Signal()) {
			res.crash, res.crashErr = fr.crashDetails(l, newCallFrames(ef, fr.sym.pcln), info, res)
		}
	}
	return res, nil
}

// goroutineList reads runtime.allgs into a census to fill.
func (fr *fastReader) goroutineList(l *layout) ([]uint64, *goroutines.Census, error) {
	allgs, n, err := fr.allgList(l)
	if err != nil {
		return nil, nil, err
	}
	census := &goroutines.Census{Format: "core", Complete: true}
	return fr.readPointers(allgs, n, census), census, nil
}

// nanotime estimates the runtime's clock at the dump, which a core does
// not record, from the latest of the times the runtime keeps:
// runtime.sched.lastpoll (the last network poll; sysmon refreshes it every
// 10 ms while the network is in use, but it reads 0 while a thread blocks
// in the poller) and memstats.last_gc_nanotime (the end of the last GC; the
// runtime forces one at least every two minutes). Wait times are therefore
// lower bounds, like the runtime's own (it only starts counting at a GC).
func (fr *fastReader) nanotime(l *layout) int64 {
	var now int64
	read := func(sym, strct, field string) {
		s, ok := l.syms[sym]
		off, err := l.off(strct, field)
		if !ok || err != nil {
			return
		}
		if v, err := fr.mem.u64(s.Value + uint64(off)); err == nil && int64(v) > now {
			now = int64(v)
		}
	}
	read("runtime.sched", "runtime.schedt", "lastpoll")
	read("runtime.memstats", "runtime.mstats", "last_gc_nanotime")
	return now
}

func (fr *fastReader) u64(b []byte, off int64) uint64 { return binary.LittleEndian.Uint64(b[off:]) }

// goroutine decodes one g from b, a g struct or a g record (grecord.go)
// whose fields o locates; ok is false for dead goroutines. What a waiter
// waits on is left to the caller: sudog is g.waiting, the address of the
// first sudog naming its channel or (from Go 1.26) its semaphore (0 for
// none), read later in address order.
func (fr *fastReader) goroutine(o *gOffsets, b []byte) (g goroutines.Goroutine, ok bool, sudog uint64) {
	status := uint64(binary.LittleEndian.Uint32(b[o.status:])) &^ gScan
	if status == gDead || status == gDeadExtra {
		return goroutines.Goroutine{}, false, 0
	}
	st, known := gStatus[status]
	if !known {
		st = fmt.Sprintf("status %d", status)
	}
	g = goroutines.Goroutine{ID: int64(fr.u64(b, o.goid)), Status: st, WaitMinutes: -1, Count: 1}
	if st == "waiting" {
		g.WaitReason = api.WaitReasonString(&fr.gover, int64(b[o.waitReason]))
		g.WaitMinutes = 0
		if since := int64(fr.u64(b, o.waitSince)); since > 0 && fr.now > since {
			g.WaitMinutes = int((fr.now - since) / nsPerMinute)
			g.WaitNanos = fr.now - since
		}
		sudog = fr.u64(b, o.waiting)
	}
	if st == "runnable" {
		// Woken from a channel operation but not yet run: g.waiting still
		// names the sudogs until the goroutine clears it on resuming.
		sudog = fr.u64(b, o.waiting)
	}
	fr.notePanic(o, g.ID, b)
	if status != gRunning {
		g.Frames = fr.unwind(fr.u64(b, o.schedPC), fr.u64(b, o.schedSP), fr.u64(b, o.schedBP), fr.u64(b, o.stackLo), fr.u64(b, o.stackHi))
	}
	// Like the runtime's traceback, no creator for goroutine 1: the
	// runtime's bootstrap code started it.
	if gopc := fr.u64(b, o.gopc); gopc != 0 && g.ID != 1 {
		g.CreatedBy = fr.creator(gopc)
	}
	if l := fr.labels(fr.u64(b, o.labels)); len(l) > 0 {
		g.Labels = l
	}
	start := fr.sym.funcAt(fr.u64(b, o.startpc))
	g.System = g.ID == 0 || goroutines.IsSystemEntry(start, g.Frames)
	if st == "waiting" && !g.System {
		// A semaphore waiter's own lock is left out of these once its
		// semaphore is known (semaLocks).
		sp := fr.u64(b, o.schedSP)
		g.HeldLocks = fr.held(sp, fr.scanLen(sp, fr.u64(b, o.stackLo), fr.u64(b, o.stackHi)))
	}
	return g, true, sudog
}

// creator returns the go statement's frame for a g.gopc, one shared Frame
// per statement: a million goroutines started by a few go statements share
// a few frames.
func (fr *fastReader) creator(gopc uint64) *goroutines.Frame {
	if f, ok := fr.creators[gopc]; ok {
		return f
	}
	var f *goroutines.Frame
	if fs := fr.sym.frames(gopc - 1); len(fs) > 0 {
		f = &goroutines.Frame{}
		*f = fs[0]
	}
	fr.creators[gopc] = f
	return f
}

// unwind follows the frame-pointer chain from the saved registers: each
// frame record at bp holds the caller's bp and the return address.
func (fr *fastReader) unwind(pc, sp, bp, lo, hi uint64) []goroutines.Frame {
	if pc == 0 {
		return nil
	}
	// The window is the whole stack above sp where a lent frame holds it,
	// else its first stackWindow bytes, copied.
	win, winLo, lent := fr.buf[:0], sp, false
	if sp >= lo && sp < hi {
		if b, ok := fr.mem.peek(sp, hi-sp); ok {
			win, lent = b, true
		} else if n := min(uint64(len(fr.buf)), hi-sp); fr.mem.read(fr.buf[:n], sp) == nil {
			win = fr.buf[:n]
		}
	}
	word := func(addr uint64) (uint64, bool) {
		if addr >= winLo && addr+8 <= winLo+uint64(len(win)) {
			return binary.LittleEndian.Uint64(win[addr-winLo:]), true
		}
		if lent {
			win = nil // the read below may return the lent frame
		}
		v, err := fr.mem.u64(addr)
		return v, err == nil
	}
	// The saved pc of a parked goroutine is a return address (into gopark
	// or the like); one that never ran starts at its function's entry.
	// The stack is kept as its call pcs, and symbolized once per distinct
	// sequence (stackInterner).
	pcs := append(fr.pcs[:0], fr.callPC(pc))
	n := len(fr.sym.frames(pcs[0]))
	for n < maxFrames && bp != 0 && bp >= lo && bp+16 <= hi {
		ret, ok1 := word(bp + 8)
		next, ok2 := word(bp)
		if !ok1 || !ok2 || ret == 0 {
			break
		}
		pcs = append(pcs, ret-1)
		n += len(fr.sym.frames(ret - 1))
		if next <= bp {
			break
		}
		bp = next
	}
	fr.pcs = pcs
	return fr.stacks.frames(fr.sym, pcs)
}

// callPC backs a saved pc up into its call instruction unless it is a
// function's entry (a goroutine that has not run yet).
func (fr *fastReader) callPC(pc uint64) uint64 {
	if fr.sym.funcAt(pc-1) == fr.sym.funcAt(pc) {
		return pc - 1
	}
	return pc
}
