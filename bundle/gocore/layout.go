package gocore

import (
	"debug/dwarf"
	"debug/elf"
	"fmt"
)

// layout holds the runtime's data layout as the executable's DWARF and
// symbol table describe it, so the census reads goroutines without a
// debugger and without hard-coding any Go version's struct offsets.
type layout struct {
	fields map[string]map[string]int64 // struct → field → offset
	sizes  map[string]int64
	syms   map[string]elf.Symbol
}

// wantStructs are the runtime types whose fields the census reads.
var wantStructs = map[string]bool{
	"runtime.g": true, "runtime.gobuf": true, "runtime.stack": true,
	"runtime.sudog": true, "runtime.semaRoot": true, "runtime.schedt": true,
	"runtime.mstats": true,
	// Optional: a panic's record, to tell runtime.Goexit from a panic.
	"runtime._panic": true,
	// Optional: the threads' Ms, to find the goroutine each runs.
	"runtime.m": true,
	// Optional: present only in programs that use pprof labels.
	"runtime/pprof.labelMap": true,
	// Optional: sync.Mutex wraps internal/sync.Mutex since Go 1.24; either
	// is present only when the program uses a mutex.
	"sync.Mutex": true, "internal/sync.Mutex": true,
	// Optional: the channels goroutines wait on (hchan.timer since Go 1.23),
	// and the Ps' timer heaps (Go 1.23's layout).
	"runtime.hchan": true, "runtime.timer": true,
	"runtime.p": true, "runtime.timers": true, "runtime.timerWhen": true,
	// Optional: a crash's panic value (panicvalue.go): the type descriptor,
	// the module data its names are relative to, the runtime's bounds
	// errors.
	"internal/abi.Type": true, "runtime.moduledata": true, "runtime.boundsError": true,
}

// optionalStructs may be missing without failing the census.
var optionalStructs = map[string]bool{"runtime/pprof.labelMap": true, "runtime._panic": true, "runtime.mstats": true, "runtime.m": true,
	"sync.Mutex": true, "internal/sync.Mutex": true, "runtime.hchan": true, "runtime.timer": true,
	"runtime.p": true, "runtime.timers": true, "runtime.timerWhen": true,
	"internal/abi.Type": true, "runtime.moduledata": true, "runtime.boundsError": true}

// wantSyms are the runtime variables the census starts from.
// The last ones serve crash cores (crash.go): the module data type names
// are relative to, and the closures runtime.throw and runtime.fatal pass to
// systemstack, which hold the fatal error's text.
var wantSyms = []string{"runtime.allgs", "runtime.allglen", "runtime.semtable", "runtime.sched", "runtime.memstats", "runtime.allm", "runtime.allp",
	"runtime.firstmoduledata", "runtime.throw.func1", "runtime.fatal.func1"}

func loadLayout(ef *elf.File, d *dwarf.Data) (*layout, error) {
	l := &layout{fields: map[string]map[string]int64{}, sizes: map[string]int64{}, syms: map[string]elf.Symbol{}}
	// Go's linker puts every type in the runtime's compilation unit
	// (cmd/link dwarf.go movetomodule), so that one is read first; the
	// others only when it lacks a type the census needs.
	if err := readStructs(d, l, "runtime"); err != nil {
		return nil, err
	}
	if missingStruct(l) != "" {
		if err := readStructs(d, l, ""); err != nil {
			return nil, err
		}
	}
	if s := missingStruct(l); s != "" {
		return nil, fmt.Errorf("DWARF has no type %s", s)
	}
	syms, err := ef.Symbols()
	if err != nil {
		return nil, fmt.Errorf("symbol table: %w", err)
	}
	for _, s := range syms {
		for _, w := range wantSyms {
			if s.Name == w {
				l.syms[w] = s
			}
		}
	}
	for _, w := range wantSyms[:2] {
		if _, ok := l.syms[w]; !ok {
			return nil, fmt.Errorf("symbol %s not found", w)
		}
	}
	return l, nil
}

// missingStruct names a struct the census needs that is not in l, or
// returns "".
func missingStruct(l *layout) string {
	for s := range wantStructs {
		if l.fields[s] == nil && !optionalStructs[s] {
			return s
		}
	}
	return ""
}

// readStructs reads into l the layouts of the wanted structs found in the
// compilation unit named cu, or in every one when cu is "".
func readStructs(d *dwarf.Data, l *layout, cu string) error {
	r := d.Reader()
	for len(l.fields) < len(wantStructs) {
		e, err := r.Next()
		if err != nil {
			return fmt.Errorf("reading DWARF: %w", err)
		}
		if e == nil {
			break
		}
		if e.Tag == dwarf.TagCompileUnit {
			if name, _ := e.Val(dwarf.AttrName).(string); cu != "" && name != cu {
				r.SkipChildren() // to the next unit, without reading this one
			}
			continue
		}
		if e.Tag != dwarf.TagStructType {
			if e.Children {
				r.SkipChildren()
			}
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		if !wantStructs[name] || l.fields[name] != nil {
			if e.Children {
				r.SkipChildren()
			}
			continue
		}
		if sz, ok := e.Val(dwarf.AttrByteSize).(int64); ok {
			l.sizes[name] = sz
		}
		fs := map[string]int64{}
		for e.Children {
			m, err := r.Next()
			if err != nil || m == nil || m.Tag == 0 {
				break
			}
			if m.Tag == dwarf.TagMember {
				fn, _ := m.Val(dwarf.AttrName).(string)
				if off, ok := m.Val(dwarf.AttrDataMemberLoc).(int64); ok {
					fs[fn] = off
				}
			}
			if m.Children {
				r.SkipChildren()
			}
		}
		l.fields[name] = fs
	}
	return nil
}

// fieldOffsets looks field offsets up and remembers the first failure,
// returning 0 from then on, so a run of lookups is checked once.
type fieldOffsets struct {
	l   *layout
	err error
}

func (fo *fieldOffsets) get(strct, field string) int64 {
	if fo.err != nil {
		return 0
	}
	var v int64
	v, fo.err = fo.l.off(strct, field)
	return v
}

// in returns get for the fields of one struct.
func (fo *fieldOffsets) in(strct string) func(field string) int64 {
	return func(field string) int64 { return fo.get(strct, field) }
}

// off returns a field offset; nested fields are written "sched.pc".
func (l *layout) off(strct, field string) (int64, error) {
	o, ok := l.fields[strct][field]
	if !ok {
		return 0, fmt.Errorf("DWARF type %s has no field %s", strct, field)
	}
	return o, nil
}

// optionalOff is a field's offset, or -1 when the layout lacks it.
func optionalOff(l *layout, strct, field string) int64 {
	o, err := l.off(strct, field)
	if err != nil {
		return -1
	}
	return o
}

// gOffsets are the runtime.g fields the census reads.
type gOffsets struct {
	goid, status, schedSP, schedPC, schedBP, stackLo, stackHi,
	waitReason, waitSince, gopc, startpc, waiting, labels, size int64
	// panic and sig are g._panic and g.sig, goexit _panic.goexit; -1
	// when absent.
	panic, sig, goexit                                                        int64
	sudogG, sudogNext, sudogPrev, sudogElem, sudogC, sudogWaitlink, semaTreap int64
}

func (l *layout) gOffsets() (*gOffsets, error) {
	var o gOffsets
	fo := &fieldOffsets{l: l}
	g, gobuf, stack, sudog := fo.in("runtime.g"), fo.in("runtime.gobuf"), fo.in("runtime.stack"), fo.in("runtime.sudog")
	sched, stk := g("sched"), g("stack")
	o.goid, o.status = g("goid"), g("atomicstatus")
	o.schedSP, o.schedPC, o.schedBP = sched+gobuf("sp"), sched+gobuf("pc"), sched+gobuf("bp")
	o.stackLo, o.stackHi = stk+stack("lo"), stk+stack("hi")
	o.waitReason, o.waitSince = g("waitreason"), g("waitsince")
	o.gopc, o.startpc, o.waiting, o.labels = g("gopc"), g("startpc"), g("waiting"), g("labels")
	o.sudogG, o.sudogNext, o.sudogPrev = sudog("g"), sudog("next"), sudog("prev")
	o.sudogElem, o.sudogC, o.sudogWaitlink = sudog("elem"), sudog("c"), sudog("waitlink")
	o.semaTreap = fo.get("runtime.semaRoot", "treap")
	o.size = l.sizes["runtime.g"]
	// g._panic and g.sig only mark goroutines in panic; a layout without
	// them (-1) leaves that to the goroutines' frames.
	o.panic, o.sig = optionalOff(l, "runtime.g", "_panic"), optionalOff(l, "runtime.g", "sig")
	o.goexit = optionalOff(l, "runtime._panic", "goexit")
	err := fo.err
	if err == nil && (o.size <= 0 || o.size > maxGSize) {
		err = fmt.Errorf("runtime.g size %d out of range", o.size)
	}
	return &o, err
}

// chanOffsets locate the runtime.hchan fields the census reads of the
// channels goroutines wait on.
type chanOffsets struct {
	dataqsiz, elemsize int64
	// timer is hchan.timer (Go 1.23 and later), -1 without it; period is
	// runtime.timer's.
	timer, period int64
}

// chanOffsets returns the channel fields' offsets; ok is false when the
// program's DWARF does not describe runtime.hchan.
func (l *layout) chanOffsets() (o chanOffsets, ok bool) {
	q, err1 := l.off("runtime.hchan", "dataqsiz")
	e, err2 := l.off("runtime.hchan", "elemsize")
	if err1 != nil || err2 != nil {
		return o, false
	}
	o = chanOffsets{dataqsiz: q, elemsize: e, timer: -1}
	t, err3 := l.off("runtime.hchan", "timer")
	p, err4 := l.off("runtime.timer", "period")
	if err3 == nil && err4 == nil {
		o.timer, o.period = t, p
	}
	return o, true
}

// timerHeapOffsets locate the Ps' timer heaps: p.timers.heap, a slice of
// runtime.timerWhen, each pointing at a runtime.timer (Go 1.23's layout).
type timerHeapOffsets struct {
	pHeap     int64 // runtime.p's timers.heap slice header
	whenTimer int64 // runtime.timerWhen's timer pointer
	whenSize  int64 // size of a runtime.timerWhen
	f, arg    int64 // runtime.timer's callback and its argument (an any)
	period    int64 // runtime.timer's period
}

// timerHeap returns the timer heaps' offsets; ok is false when the
// program's runtime has another layout.
func (l *layout) timerHeap() (o timerHeapOffsets, ok bool) {
	fo := &fieldOffsets{l: l}
	get := fo.get
	o.pHeap = get("runtime.p", "timers") + get("runtime.timers", "heap")
	o.whenTimer = get("runtime.timerWhen", "timer")
	o.f, o.arg, o.period = get("runtime.timer", "f"), get("runtime.timer", "arg"), get("runtime.timer", "period")
	o.whenSize = l.sizes["runtime.timerWhen"]
	// A timerWhen is a pointer and an int64, the pointer within it;
	// anything far larger, or a pointer outside, is damaged debug info.
	return o, fo.err == nil && o.whenSize > 0 && o.whenSize <= 64 && o.whenTimer >= 0 && o.whenTimer+8 <= o.whenSize
}

// maxGSize bounds runtime.g as DWARF states it (about 440 bytes in Go
// 1.26); a larger claim means damaged debug info.
const maxGSize = 4096

// mutexSema returns the offsets, within a sync.Mutex, of its state word
// and of the semaphore its waiters sleep on; ok is false when the
// program's DWARF does not describe the type.
func (l *layout) mutexSema() (state, sema int64, ok bool) {
	if inner, err := l.off("sync.Mutex", "mu"); err == nil {
		st, err1 := l.off("internal/sync.Mutex", "state")
		se, err2 := l.off("internal/sync.Mutex", "sema")
		if err1 != nil || err2 != nil {
			return 0, 0, false
		}
		return inner + st, inner + se, true
	}
	st, err1 := l.off("sync.Mutex", "state")
	se, err2 := l.off("sync.Mutex", "sema")
	return st, se, err1 == nil && err2 == nil
}
