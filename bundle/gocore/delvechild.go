package gocore

import (
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/go-delve/delve/pkg/goversion"
	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/core"
	"github.com/go-delve/delve/service/api"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/elfcore"
	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/internal/worker"
)

// workerName is the worker that reads a core with delve in a child process.
const workerName = "core-census"

// init registers the worker and, when this process was started as it,
// runs it at once: every binary that links this package — including test
// binaries whose TestMain does not call worker.Main — then serves the
// census child instead of re-running its own main or tests.
func init() {
	worker.Register(workerName, censusWorker)
	if len(os.Args) > 2 && os.Args[1] == "__worker" && os.Args[2] == workerName {
		worker.Main()
	}
}

// maxFrames bounds each goroutine's stack, like the runtime's own
// traceback (which prints 100 frames and elides the rest); deeper frames
// add nothing to grouping and cost time on runaway recursion.
const maxFrames = 100

// childGCPercent is a census child's GOGC: the runtime's default. Fresh
// memory costs a page fault and the zeroing of its page, and a heap let
// to grow to three times its live data (GOGC 200) touches more of it
// than a collection costs: on the million-goroutine snapshot of
// corpus/bench/core.sh, five alternating pairs of children took a median
// 2.98 s at 100 against 3.16 s at 200, with the same peak RSS (about
// 520 MiB); on a 100,000-goroutine crash core the two are equal (0.58–0.66
// s, 130 MiB). (Before the census's large arrays moved to huge pages,
// 200 had been the faster.)
const childGCPercent = 100

// censusWorker is the child's entry point: args are CORE EXE, or archive
// ARCHIVE MEMBER EXE for a core read from an archive's frames; it prints
// the census on stdout as writeWire sends it (both ends are this
// program).
func censusWorker(args []string) int {
	debug.SetGCPercent(childGCPercent)
	s := newWireSender(os.Stdout)
	switch {
	case len(args) == 2:
		c, err := delveCensus(args[0], args[1])
		return answer(s, c, err)
	case len(args) == 4 && args[0] == archiveArg:
		// The parent checked the seal (ArchiveCensus opened the member).
		a, err := bundle.OpenSealed(args[1])
		if err != nil {
			return answer(s, nil, err)
		}
		defer a.Close()
		c, err := archiveCensus(a, args[2], args[3], s.plan)
		return answer(s, c, err)
	}
	fmt.Fprintln(os.Stderr, "usage: core-census CORE EXE | core-census archive ARCHIVE MEMBER EXE")
	return 2
}

// answer sends the census c through s and returns the child's exit
// code: 0, or for err exitCorrupt when it wraps bundle.ErrCorrupt (the
// archive's bytes are damaged), else 1.
func answer(s *wireSender, c *goroutines.Census, err error) int {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		if errors.Is(err, bundle.ErrCorrupt) {
			return exitCorrupt
		}
		return 1
	}
	if err := s.send(c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// DelveVersion returns the version of delve linked into coroner.
func DelveVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/go-delve/delve" {
				return d.Version
			}
		}
	}
	return "unknown"
}

// goWindow describes the Go versions this delve reads.
func goWindow() string {
	return fmt.Sprintf("go1.%d to go1.%d", goversion.MinSupportedVersionOfGoMinor, goversion.MaxSupportedVersionOfGoMinor)
}

// delveCensus opens the core with delve and lists every goroutine.
func delveCensus(corePath, exePath string) (*goroutines.Census, error) {
	c := &goroutines.Census{Source: corePath, Format: "core", Complete: true, Reader: "delve " + DelveVersion()}
	if err := checkExe(exePath); err != nil {
		if !errors.Is(err, errNoDWARF) {
			return nil, err
		}
		tc, terr := fileCensus(corePath, corePath, exePath)
		if terr == nil {
			tc.Source = c.Source
			return tc, nil
		}
		err = fmt.Errorf("%w; %v", err, terr)
		pc, perr := pclntabCrash(corePath, exePath)
		if perr != nil {
			return nil, fmt.Errorf("%w; the pclntab gave nothing either: %v", err, perr)
		}
		pc.Source, pc.Reader = c.Source, c.Reader
		if pc.Crash == nil {
			pc.Warnings = append(pc.Warnings, err.Error()+"; no goroutine list from this core")
			return pc, nil
		}
		pc.Warnings = append(pc.Warnings, err.Error()+"; the crashing thread's stack comes from frame pointers and the pclntab (no goroutine list, no panic text)")
		return pc, nil
	}
	if info, err := buildinfo.ReadFile(exePath); err == nil {
		c.GoVersion = info.GoVersion
		if v, ok := goversion.Parse(info.GoVersion); ok && !inWindow(v) {
			return outsideWindow(c, corePath, exePath, v)
		}
	}
	gover, _ := goversion.Parse(c.GoVersion)
	// The notes' PID and siginfo tell a requested dump; without them
	// (info nil) every signal counts as the crash it looks like.
	info, _ := parseCore(corePath)
	fast, fastErr := fastCensus(corePath, exePath, gover)
	grp, err := core.OpenCore(corePath, exePath, nil)
	if err != nil {
		return nil, explainOpen(err)
	}
	defer grp.Detach(true)
	tgt := grp.Selected
	var crashG *proc.G
	if fastErr == nil {
		c.Goroutines, c.Complete = fast.census.Goroutines, fast.census.Complete
		c.Warnings = append(c.Warnings, fast.census.Warnings...)
		crashG = fillRunning(tgt, c, fast.running, &gover)
	} else {
		c.Warnings = append(c.Warnings, fmt.Sprintf("frame-pointer census unavailable (%v): used delve's unwinder, which is slower", fastErr))
		crashG = crashedGoroutine(tgt)
		probes := newLockProber()
		err = eachGoroutine(tgt, c, func(g *proc.G) {
			out, frames := describeG(tgt, g, &gover)
			if crashG != nil && g.ID == crashG.ID {
				out.Crashed = true
			}
			out.LockAddr = probes.probe(tgt, g, frames, out)
			c.Goroutines = append(c.Goroutines, out)
		})
		if err != nil {
			return nil, err
		}
	}
	c.Crash = crashInfo(tgt, crashG, nil)
	if info != nil && (c.Crash == nil || c.Crash.Kind == "" || c.Crash.Kind == "signal") {
		// No panic or throw found: a dump someone asked for, if the core
		// says the signal came from outside.
		var req *goroutines.Requested
		if fastErr == nil {
			req, _ = requestedDump(info, fast, c.Goroutines)
		} else if handledSignal(tgt) == sigQUIT {
			// Without the runtime's layout the origin is unread; SIGQUIT
			// is never a crash of the process's own (the runtime raises it
			// at itself only to relay a crash to its other threads, which
			// do not dump).
			req = &goroutines.Requested{Signal: "SIGQUIT", SenderPID: -1, PID: info.PID,
				Evidence: "the dumping thread's runtime.sighandler was handling SIGQUIT (read by delve), and no goroutine in panic or throw"}
		}
		if req != nil {
			c.Crash, c.Requested = nil, req
			for i := range c.Goroutines {
				c.Goroutines[i].Crashed = false
			}
		}
	}
	return c, nil
}

// parseCore reads a core file's headers and notes.
func parseCore(corePath string) (*elfcore.Core, error) {
	f, size, err := bundle.OpenSized(corePath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return elfcore.Parse(f, size)
}

// Bounds on walking runtime.allgs in a damaged core.
const (
	// goroutineChunk is how many allgs entries are read per step.
	goroutineChunk = 4096
	// maxUnreadableRun stops the walk after this many consecutive
	// unreadable entries: a sane core has at most a handful (goroutines
	// being created), so a long run means allglen or allgs is corrupt.
	maxUnreadableRun = 1024
)

// eachGoroutine walks runtime.allgs in chunks, calling fn for each
// readable goroutine, and stops with a warning when the list turns out to
// be corrupt rather than walking a bogus length to the end.
func eachGoroutine(tgt *proc.Target, c *goroutines.Census, fn func(*proc.G)) error {
	start, run, seen := 0, 0, 0
	for start >= 0 {
		gs, next, err := proc.GoroutinesInfo(tgt, start, goroutineChunk)
		if err != nil {
			if seen == 0 {
				return fmt.Errorf("reading runtime.allgs: %w", err)
			}
			c.Complete = false
			c.Warnings = appendCapped(c.Warnings, fmt.Sprintf("goroutine list unreadable after %d entries: %v", seen, err))
			return nil
		}
		for _, g := range gs {
			seen++
			if g.Unreadable != nil {
				run++
				c.Complete = false
				c.Warnings = appendCapped(c.Warnings, fmt.Sprintf("unreadable goroutine at allgs index %d: %v", seen-1, g.Unreadable))
				if run >= maxUnreadableRun {
					c.Warnings = append(c.Warnings, fmt.Sprintf("goroutine list corrupt: %d consecutive unreadable entries; census stops after %d entries", run, seen))
					return nil
				}
				continue
			}
			run = 0
			fn(g)
		}
		start = next
	}
	return nil
}

// errNoDWARF marks an executable without debug info.
var errNoDWARF = errors.New("no DWARF debug info")

// outsideWindow serves a binary built with a Go version delve does not
// read: the frame-pointer census needs only DWARF type layouts, so parked
// goroutines are still listed; running goroutines' stacks and the panic
// value, which need delve, are not.
func outsideWindow(c *goroutines.Census, corePath, exePath string, v goversion.GoVersion) (*goroutines.Census, error) {
	why := fmt.Sprintf("executable built with %s, outside the Go versions delve %s reads (%s)", c.GoVersion, DelveVersion(), goWindow())
	fast, err := fastCensus(corePath, exePath, v)
	if err != nil {
		return nil, fmt.Errorf("%s, and the frame-pointer census failed too (%v): the core's threads, signal and mapped files are still reported, and text goroutine dumps still give a census", why, err)
	}
	c.Goroutines, c.Complete = fast.census.Goroutines, false
	c.Warnings = append(fast.census.Warnings, why+": census from the frame-pointer reader only; running goroutines have no stacks and the panic value is not read")
	c.Reader = "coroner frame-pointer reader"
	return c, nil
}

// checkExe refuses executables delve cannot read goroutines from: non-Go
// binaries and binaries without DWARF. debug/elf is not hardened against
// hostile input, which is why this runs in the child too.
func checkExe(exePath string) error {
	if _, err := buildinfo.ReadFile(exePath); err != nil {
		return fmt.Errorf("executable %s is not a Go binary (%v): no goroutine census; the core's threads, signal and mapped files are still reported", exePath, err)
	}
	f, err := elf.Open(exePath)
	if err != nil {
		return fmt.Errorf("executable %s: %w", exePath, err)
	}
	defer f.Close()
	if f.Section(".debug_info") == nil && f.Section(".zdebug_info") == nil {
		return fmt.Errorf("executable %s: %w (built with -ldflags=-w or stripped): delve needs DWARF to read goroutines from the core; use an unstripped build of the same commit, or a text goroutine dump", exePath, errNoDWARF)
	}
	return nil
}

// fillRunning reads the goroutines running on threads with delve (their
// saved registers are stale; the thread's are current), and marks the
// crashed goroutine: the one on the thread that took the fatal signal, or
// one whose stack is in the runtime's panic or throw machinery.
func fillRunning(tgt *proc.Target, c *goroutines.Census, running map[int64]bool, gover *goversion.GoVersion) *proc.G {
	idx := map[int64]int{}
	for i, g := range c.Goroutines {
		idx[g.ID] = i
	}
	for _, th := range tgt.ThreadList() {
		g, err := proc.GetG(th)
		if err != nil || g == nil || !running[g.ID] {
			continue
		}
		if i, ok := idx[g.ID]; ok {
			out, _ := describeG(tgt, g, gover)
			c.Goroutines[i] = out
		}
	}
	var crashG *proc.G
	if th := tgt.CurrentThread(); th != nil {
		if g, err := proc.GetG(th); err == nil && g != nil && g.ID != 0 {
			crashG = g
		}
	}
	if crashG == nil {
		for _, g := range c.Goroutines {
			if goroutines.InPanic(g.Frames) {
				if pg, err := proc.FindGoroutine(tgt, g.ID); err == nil && pg != nil {
					crashG = pg
				}
				break
			}
		}
	}
	if crashG != nil {
		if i, ok := idx[crashG.ID]; ok {
			c.Goroutines[i].Crashed = true
		}
	}
	return crashG
}

func inWindow(v goversion.GoVersion) bool {
	return v.Major == 1 && v.Minor >= goversion.MinSupportedVersionOfGoMinor && v.Minor <= goversion.MaxSupportedVersionOfGoMinor
}

// explainOpen turns delve's open errors into messages that say what to do.
func explainOpen(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "could not open debug info"), strings.Contains(msg, "no debug info"), strings.Contains(msg, "decoding dwarf"):
		return fmt.Errorf("executable has no DWARF debug info (built with -ldflags=-w or stripped): delve needs DWARF to read goroutines from the core; use an unstripped build of the same commit, or rely on a text goroutine dump: %w", err)
	case errors.Is(err, core.ErrUnrecognizedFormat):
		return fmt.Errorf("delve does not recognize the core's format: %w", err)
	}
	return fmt.Errorf("delve could not open the core: %w", err)
}

// gStatus maps the runtime's _G* constants (runtime/runtime2.go) to the
// names tracebacks print.
var gStatus = map[uint64]string{
	0: "idle", 1: "runnable", 2: "running", 3: "syscall", 4: "waiting",
	6: "dead", 8: "copystack", 9: "preempted", 10: "leaked", 11: "dead",
}

// describeG converts one delve goroutine, with its stack.
func describeG(tgt *proc.Target, g *proc.G, gover *goversion.GoVersion) (goroutines.Goroutine, []proc.Stackframe) {
	st, ok := gStatus[g.Status&^0x1000] // _Gscan bit
	if !ok {
		st = fmt.Sprintf("status %d", g.Status)
	}
	out := goroutines.Goroutine{ID: g.ID, Status: st, WaitMinutes: -1, Count: 1}
	if g.Status == proc.Gwaiting {
		out.WaitReason = api.WaitReasonString(gover, g.WaitReason)
	}
	if g.Thread != nil {
		out.Thread = g.Thread.ThreadID()
	}
	frames, err := proc.GoroutineStacktrace(tgt, g, maxFrames, 0)
	for _, f := range frames {
		if f.Err != nil || f.Call.Fn == nil {
			continue
		}
		out.Frames = append(out.Frames, goroutines.Frame{Func: f.Call.Fn.Name, File: f.Call.File, Line: f.Call.Line, Inlined: f.Inlined})
	}
	if err != nil && len(out.Frames) == 0 {
		out.Frames = append(out.Frames, goroutines.Frame{Func: fmt.Sprintf("(unwind error: %v)", err)})
	}
	if loc := g.Go(); loc.Fn != nil && g.ID != 1 {
		out.CreatedBy = &goroutines.Frame{Func: loc.Fn.Name, File: loc.File, Line: loc.Line}
	}
	if l := g.Labels(); len(l) > 0 {
		out.Labels = l
	}
	out.System = isSystem(tgt, g, &out)
	return out, frames
}

// isSystem applies the runtime's isSystemGoroutine to the goroutine's
// start function, which delve reads from g.startpc even when the stack is
// deeper than maxFrames.
func isSystem(tgt *proc.Target, g *proc.G, out *goroutines.Goroutine) bool {
	if out.ID == 0 {
		return true
	}
	loc := g.StartLoc(tgt)
	if loc.Fn == nil {
		return goroutines.IsSystem(out)
	}
	return goroutines.IsSystemEntry(loc.Fn.Name, out.Frames)
}

// maxWarnings bounds repeated per-goroutine warnings.
const maxWarnings = 20

func appendCapped(w []string, s string) []string {
	switch {
	case len(w) < maxWarnings:
		return append(w, s)
	case len(w) == maxWarnings:
		return append(w, "… further warnings omitted")
	}
	return w
}
