package gcstw

import (
	"fmt"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/traces"
)

// name gives a gc_stw finding its driver and culprit: the caller forcing
// the cycles, what holds the heap at the limit's goal, or the sites whose
// allocation carries the heap to GOGC's trigger.
func name(pass *analyze.Pass, f *analyze.Finding, d drive, prof *cpu.Profile) {
	why := strings.Join(d.why, "; ")
	if why == "" {
		why = "no source shows the cycles forced or the heap held at a memory limit's goal"
	}
	f.Summary += " Driven by " + driverPhrase(d.driver) + ": " + why + "."
	switch d.driver {
	case DriverForced:
		// gctrace's (forced) does not tell runtime.GC from
		// debug.FreeOSMemory; a stack does.
		call := "runtime.GC() or debug.FreeOSMemory()"
		if len(d.forcerStacks) > 0 {
			call = forcingName(d.forcerStacks[0].Frames)
		}
		f.Title += ", forced by explicit " + call + " calls"
		if d.forcer != nil {
			f.Culprit = d.forcer
			f.Stacks = append(f.Stacks, d.forcerStacks...)
			f.Title += " in " + d.forcer.Function
		}
		// Every forced cycle also runs poolCleanup: sync.Pools empty and
		// their users allocate anew, which gc_stw reports under its cause.
		// And every cycle stops and restarts the world (each P then runs
		// schedule), wakes and parks a mark worker per P it drafts, and
		// the caller yields in runtime.GC until sweeping ends: forced
		// hundreds of times a second, that is scheduler time the
		// scheduler analyzer sees as a spin.
		f.Explains = []string{analyze.CauseSyncPoolContention, analyze.CauseNetpollSpin}
		f.Remedy = "Remove the explicit " + call + " calls or bound them (at most one every few seconds, and only after a real release of memory): " +
			"the pacer already collects when the heap grows by GOGC percent, and every forced cycle stops the world twice, scans every stack " +
			"and empties every sync.Pool (poolCleanup), so pooled objects are allocated anew. To cap memory, set GOMEMLIMIT instead."
	case DriverMemoryLimit:
		f.Title += ": the heap sits at the memory limit's goal"
		// What holds the heap is what a heap profile's inuse_space names;
		// without one, the allocation that keeps reaching the goal.
		if c, stacks := heldCulprit(pass); c != nil {
			f.Culprit = c
			f.Stacks = append(f.Stacks, stacks...)
			f.Title += "; most of it held by " + c.Function
		} else if c, stacks := allocationCulprit(pass, prof, traces.Of(pass)); c != nil {
			f.Culprit = c
			f.Stacks = append(f.Stacks, stacks...)
			f.Title += "; allocations in " + c.Function + " keep reaching it"
		}
		f.Remedy = "The live heap fills what the memory limit allows, so each cycle ends with the heap already at its next goal: " +
			"raise GOMEMLIMIT (and the container's memory) well above the live heap, or keep GOGC set (not off) so the goal keeps " +
			"headroom, or shrink what the heap holds (inuse_space of a heap profile names it)."
	default:
		if c, stacks := allocationCulprit(pass, prof, traces.Of(pass)); c != nil {
			f.Culprit = c
			f.Stacks = append(f.Stacks, stacks...)
			f.Title += " driven by allocations in " + c.Function
		}
	}
}

func driverPhrase(d Driver) string {
	switch d {
	case DriverForced:
		return "explicit collections"
	case DriverMemoryLimit:
		return "the memory limit"
	}
	return "allocation under GOGC"
}

// heldCulprit names the site holding most of the live heap: the innermost
// user frame of the heap profile's heaviest inuse_space stacks.
func heldCulprit(pass *analyze.Pass) (*analyze.Culprit, []analyze.Stack) {
	top, total, used := topSite(pass, "inuse_space")
	if top == nil {
		return nil, nil
	}
	title := fmt.Sprintf("top live-heap site: %.0f%% of inuse_space (%s)", 100*float64(top.bytes)/float64(max(total, 1)), used)
	return &analyze.Culprit{Function: top.f.Func, File: top.f.File, Line: top.f.Line},
		[]analyze.Stack{{Title: title, Count: top.bytes, Unit: "bytes", Frames: cpu.FrameStrings(top.stack, 24)}}
}
