// Package gocore reads a goroutine census from a Go core dump: every
// goroutine's state, wait reason and wait time, creator, pprof labels and
// stack; the crashed goroutine and thread; the panic value or fatal error
// text left in memory; and the lock or channel addresses waiters share.
//
// Goroutines are read by a frame-pointer census (fast.go, walk.go) that
// walks runtime.allgs, the g structs and their stacks straight from the
// core, with struct layouts from the executable's DWARF and each distinct
// PC symbolized once; it unwinds the goroutines running on threads from
// their registers (threads.go), reads a crash's panic value or fatal error
// text (crash.go, panicvalue.go), and reads a core where it lies in the
// archive (inplace.go, direct.go). delve's pkg/proc/core reads a core that
// reader refuses, from an extracted copy, and is the fallback for
// everything. A stripped executable is read with a debug twin's DWARF
// (twin.go), or with its Go version's layout table and the runtime's
// variables found from its code (layout_versions.go, runtimevars.go);
// without either it still yields the crash site through the pclntab.
// All of it runs in a child process (internal/worker) under a memory limit
// and a time budget, and only after elfcore.Validate has checked the
// core's headers: delve and debug/elf are not hardened against hostile
// cores.
//
// A per-kind reader: it may import the archive format (bundle), the
// other readers and internal/worker, never bundle/ingest.
package gocore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/elfcore"
	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/internal/worker"
)

// Options control a census.
type Options struct {
	// Force analyses a core whose executable's build ID does not match.
	Force bool
	// Limits bound the child process; zero fields take DefaultLimits.
	Limits worker.Limits
	// DebugBinary is a debug twin of the executable (twin.go): once
	// MatchTwin accepts it, its DWARF and symbols read the core.
	DebugBinary string
	// Child, when set, is the worker that opens the archive itself (an
	// object read in place, which has no local path); nil opens it by
	// its file.
	Child *ArchiveChild
}

// DefaultLimits bound the delve child: dlv needs about 1.4 GiB for a
// 100k-goroutine core; 4 GiB leaves headroom, and ten minutes is far more
// than any core we have seen needs.
var DefaultLimits = worker.Limits{Memory: 4 << 30, Timeout: 10 * time.Minute}

// BuildIDError reports a core and an executable from different builds.
type BuildIDError struct {
	Exe, Core string
}

func (e *BuildIDError) Error() string {
	return fmt.Sprintf("executable build ID %s does not match the core's (%s); pass --force to analyse anyway", e.Exe, e.Core)
}

// Census validates the core, checks that exePath is the binary that
// produced it, and reads the goroutine census with delve in a child
// process. On failure it returns an error together with a partial census
// built from what the core's notes tell (threads, signal), marked
// incomplete, so callers can still report what is known.
func Census(ctx context.Context, corePath, exePath string, o Options) (*goroutines.Census, error) {
	f, size, err := bundle.OpenSized(corePath)
	if err != nil {
		return partialCensus(corePath, nil), fmt.Errorf("core %s: %w", corePath, err)
	}
	defer f.Close()
	return census(ctx, corePath, f, size, exePath, workerName, []string{corePath, exePath}, o)
}

// ArchiveCensus is Census for a core stored in an archive, read from the
// archive's frames where it lies (see direct.go) rather than extracted
// first; a core that needs delve is extracted by the child. Archives
// without random access (bundle.ErrNoRandomAccess) are extracted here.
func ArchiveCensus(ctx context.Context, a *bundle.Archive, core bundle.Artifact, exePath string, o Options) (*goroutines.Census, error) {
	mr, err := a.OpenMember(core)
	if errors.Is(err, bundle.ErrNoRandomAccess) {
		corePath, err := a.Path(core)
		if err != nil {
			return partialCensus(core.Path, nil), err
		}
		return Census(ctx, corePath, exePath, o)
	}
	if err != nil {
		return partialCensus(core.Path, nil), err
	}
	defer mr.Close()
	child, args := workerName, []string{archiveArg, a.File(), core.Path, exePath}
	if o.Child != nil {
		child, args = o.Child.Worker, []string{o.Child.Archive, a.Digest(), core.Path, exePath}
	}
	dr := &damageReader{r: mr}
	c, err := census(ctx, core.Path, dr, mr.Size(), exePath, child, args, o)
	if d := dr.damage(); d != nil {
		return c, fmt.Errorf("core %s: %w", core.Path, d)
	}
	return c, err
}

// census validates the core (named name, read through core), checks the
// executable, and runs the worker child with args.
func census(ctx context.Context, name string, core io.ReaderAt, size int64, exePath, child string, args []string, o Options) (*goroutines.Census, error) {
	info, err := elfcore.Validate(core, size)
	partial := partialCensus(name, info)
	if err != nil && !elfcore.IsTruncated(err) {
		return partial, fmt.Errorf("core %s: %w", name, err)
	}
	truncErr := err
	if err := checkBuildID(info, exePath); err != nil && !o.Force {
		return partial, fmt.Errorf("core %s: %w", name, err)
	} else if err != nil {
		partial.Warnings = append(partial.Warnings, err.Error()+" (analysed anyway: --force)")
	}
	if o.DebugBinary != "" {
		if err := MatchTwin(exePath, o.DebugBinary); err != nil {
			return partial, fmt.Errorf("core %s: %w", name, err)
		}
		// Mapped sections equal byte for byte: the twin reads as the executable.
		args = append(args[:len(args)-1:len(args)-1], o.DebugBinary)
	}
	lim := o.Limits
	if lim.Memory == 0 {
		lim.Memory = DefaultLimits.Memory
	}
	if lim.Timeout == 0 {
		lim.Timeout = DefaultLimits.Timeout
	}
	// The census is decoded as the child writes it.
	var wc *goroutines.Census
	err = worker.RunStream(ctx, child, args, lim, func(r io.Reader) error {
		var err error
		wc, err = receiveCensus(r)
		return err
	})
	if err != nil {
		partial.Warnings = append(partial.Warnings, "goroutine census from the core failed: "+err.Error())
		if childFoundCorrupt(err) {
			return partial, fmt.Errorf("core %s: %w: %w", name, bundle.ErrCorrupt, err)
		}
		return partial, fmt.Errorf("core %s: %w", name, err)
	}
	c := *wc
	c.Warnings = append(partial.Warnings, c.Warnings...)
	if truncErr != nil {
		c.Complete = false
		c.Warnings = append(c.Warnings, truncErr.Error()+": goroutines whose memory lies in the missing part may be absent or wrong")
	}
	mergeCoreCrash(&c, info)
	if c.Crash != nil {
		for _, g := range c.Goroutines {
			if g.Crashed {
				c.Crash.Signature, c.Crash.SignatureKey = goroutines.Signature(c.Crash, g.Frames)
				break
			}
		}
	}
	return &c, nil
}

// checkBuildID compares the executable's build ID with the one in the
// core's dump of its first page.
func checkBuildID(info *elfcore.Core, exePath string) error {
	f, err := os.Open(exePath)
	if err != nil {
		return err
	}
	defer f.Close()
	exeGNU, exeGo := elfcore.FileBuildIDs(f)
	m, ok := info.ExeMapping()
	if !ok {
		return nil
	}
	switch {
	case m.BuildID != "" && exeGNU != "" && m.BuildID != exeGNU:
		return &BuildIDError{Exe: exeGNU, Core: m.BuildID}
	case m.GoBuildID != "" && exeGo != "" && m.GoBuildID != exeGo:
		return &BuildIDError{Exe: exeGo, Core: m.GoBuildID}
	case m.BuildID != "" && exeGNU == "" && exeGo == "":
		return &BuildIDError{Exe: "(none)", Core: m.BuildID}
	}
	return nil
}

// sigQUIT is SIGQUIT's number on Linux.
const sigQUIT = 3

// sigABRT is SIGABRT's number on Linux.
const sigABRT = 6

// kernelDumpsCore reports whether sig's default action on Linux is to dump
// core (the kernel's SIG_KERNEL_COREDUMP_MASK: SIGQUIT, SIGILL, SIGTRAP,
// SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS). Only those
// end a process with a core written by the kernel.
func kernelDumpsCore(sig int) bool {
	switch sig {
	case 3, 4, 5, 6, 7, 8, 11, 24, 25, 31:
		return true
	}
	return false
}

// partialCensus is what the notes alone tell: the crash signal and the
// crashing thread, no goroutines.
func partialCensus(corePath string, info *elfcore.Core) *goroutines.Census {
	c := &goroutines.Census{Source: corePath, Format: "core", Complete: false, Reader: "delve " + DelveVersion()}
	if info == nil {
		return c
	}
	mergeCoreCrash(c, info)
	return c
}

// mergeCoreCrash fills the crash's signal, fault address and thread from
// the core's notes where memory did not give them, unless the census
// found the core was requested (Census.Requested) or, with no crash found
// in memory, the notes alone show it (notesRequested).
func mergeCoreCrash(c *goroutines.Census, info *elfcore.Core) {
	if info == nil || c.Requested != nil {
		return
	}
	if c.Crash == nil {
		if c.Requested = notesRequested(info); c.Requested != nil {
			return
		}
	}
	sig := info.Signal()
	if sig == 0 {
		return
	}
	if c.Crash == nil {
		c.Crash = &goroutines.Crash{Kind: "signal"}
	}
	if c.Crash.Signal == "" {
		c.Crash.Signal = elfcore.SignalName(sig)
		if info.Siginfo != nil {
			c.Crash.FaultAddr = info.Siginfo.Addr
		}
	}
	if c.Crash.Thread == 0 && len(info.Threads) > 0 {
		c.Crash.Thread = info.Threads[0].TID
	}
}
