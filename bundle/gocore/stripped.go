package gocore

import (
	"encoding/binary"
	"fmt"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/elfcore"
	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/bundle/symbolize"
)

// pclntabCrash is what a crash core still tells when the executable has no DWARF
// (and so no layout for runtime.g): the crashing thread's stack, unwound
// through frame pointers — through the signal frame into the goroutine that
// crashed — and symbolized with the pclntab, which stripping keeps.
func pclntabCrash(corePath, exePath string) (*goroutines.Census, error) {
	cf, size, err := bundle.OpenSized(corePath)
	if err != nil {
		return nil, err
	}
	defer cf.Close()
	info, err := elfcore.Parse(cf, size)
	if err != nil {
		return nil, err
	}
	if notesRequested(info) != nil {
		// A snapshot (gcore's SIGSTOP) or a signal sent from outside that
		// the kernel dumped on: no thread crashed, and without DWARF no
		// goroutine can be listed. (A SIGABRT the runtime re-raised needs
		// the runtime's layout to trace to its origin: it stays a crash.)
		return &goroutines.Census{Format: "core"}, nil
	}
	if len(info.Threads) == 0 || info.Machine != "amd64" {
		return nil, fmt.Errorf("no amd64 thread registers in the core")
	}
	sym, err := symbolize.Open(exePath)
	if err != nil {
		return nil, err
	}
	defer sym.Close()
	mem := newCoreMem(cf, info)
	defer mem.close()
	mem.addExecutable(sym.ELF())
	th := info.Threads[0]
	frames := fpFrames(mem, sym, th.PC, th.BP)
	g := goroutines.Goroutine{ID: -1, Status: "running", WaitMinutes: -1, Count: 1, Thread: th.TID, Crashed: true, Frames: frames}
	c := &goroutines.Census{Format: "core", Goroutines: []goroutines.Goroutine{g}}
	c.Crash = &goroutines.Crash{Kind: "signal", Thread: th.TID, Site: goroutines.CrashSite(frames)}
	return c, nil
}

// fpFrames follows the frame-pointer chain from a thread's registers,
// guarding against cycles, and symbolizes each PC with the pclntab,
// inlined calls expanded.
func fpFrames(mem *coreMem, sym *symbolize.Binary, pc, bp uint64) []goroutines.Frame {
	var out []goroutines.Frame
	add := func(pc uint64) {
		fs := sym.Frames(pc)
		if len(fs) == 0 {
			out = append(out, goroutines.Frame{Func: fmt.Sprintf("?%#x", pc)})
			return
		}
		for _, f := range fs {
			out = append(out, goroutines.Frame{Func: f.Func, File: f.File, Line: f.Line, Inlined: f.Inlined})
		}
	}
	add(pc)
	seen := map[uint64]bool{}
	var rec [16]byte
	for len(out) < maxFrames && bp != 0 && !seen[bp] {
		seen[bp] = true
		if mem.read(rec[:], bp) != nil {
			break
		}
		next, ret := binary.LittleEndian.Uint64(rec[:]), binary.LittleEndian.Uint64(rec[8:])
		if ret == 0 {
			break
		}
		add(ret - 1)
		bp = next
	}
	return out
}
