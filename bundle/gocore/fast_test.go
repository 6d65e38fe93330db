package gocore

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/go-delve/delve/pkg/goversion"
	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/pkg/proc/core"

	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/internal/testcore"
)

// TestFastMatchesDelve reads the same core with the frame-pointer census
// and with delve's unwinder: every parked goroutine must have the same
// status, wait reason, creator and stack (function, file, line, inlining).
func TestFastMatchesDelve(t *testing.T) {
	exe := testcore.BuildIn(t, tmpDir, fmt.Sprintf(manySrc, 200))
	p := testcore.Start(t, exe, "ready")
	corePath := p.Gcore(t)
	gover, _ := goversion.Parse("go1.26")
	fast, err := fastCensus(corePath, exe, gover)
	if err != nil {
		t.Fatal(err)
	}
	grp, err := core.OpenCore(corePath, exe, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer grp.Detach(true)
	tgt := grp.Selected
	slow := map[int64]goroutines.Goroutine{}
	c := &goroutines.Census{}
	if err := eachGoroutine(tgt, c, func(g *proc.G) {
		out, _ := describeG(tgt, g, &gover)
		slow[out.ID] = out
	}); err != nil {
		t.Fatal(err)
	}
	if len(slow) != len(fast.census.Goroutines) {
		t.Errorf("delve sees %d goroutines, fast census %d", len(slow), len(fast.census.Goroutines))
	}
	for _, g := range fast.census.Goroutines {
		d, ok := slow[g.ID]
		if !ok {
			t.Errorf("goroutine %d only in the fast census", g.ID)
			continue
		}
		if g.Status != d.Status || g.WaitReason != d.WaitReason || g.System != d.System {
			t.Errorf("goroutine %d: fast %s/%q/%v, delve %s/%q/%v", g.ID, g.Status, g.WaitReason, g.System, d.Status, d.WaitReason, d.System)
		}
		if fast.running[g.ID] {
			continue
		}
		// The innermost line may differ by one: for a parked goroutine delve
		// symbolizes the resume PC, the runtime's traceback (and this
		// census) the call instruction before it.
		if a, b := stackString(g.Frames), stackString(d.Frames); a != b {
			t.Errorf("goroutine %d stacks differ:\nfast:  %s\ndelve: %s", g.ID, a, b)
		}
		if g.ID != 1 && ((g.CreatedBy == nil) != (d.CreatedBy == nil) || g.CreatedBy != nil && g.CreatedBy.Func != d.CreatedBy.Func) {
			t.Errorf("goroutine %d: created by %+v vs %+v", g.ID, g.CreatedBy, d.CreatedBy)
		}
	}
	// And the census entry point uses the fast path.
	full, err := Census(context.Background(), corePath, exe, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range full.Warnings {
		if strings.Contains(w, "frame-pointer census unavailable") {
			t.Errorf("census fell back to delve: %s", w)
		}
	}
}

// stackString prints a stack as function:line for comparing two readers.
// Two lines are left out: the innermost frame's (where a thread stopped,
// which two readers may resolve a few instructions apart), and that of
// the frame asyncPreempt interrupted. The runtime's traceback looks that
// frame's pc up as is, since the signal stopped it between two
// instructions rather than at a call; delve looks it up as a return
// address (pc-1), which names the previous line whenever the pc starts
// one.
func stackString(fs []goroutines.Frame) string {
	var b strings.Builder
	for i, f := range fs {
		if i == 0 || fs[i-1].Func == "runtime.asyncPreempt" {
			fmt.Fprintf(&b, "%s", f.Func)
		} else {
			fmt.Fprintf(&b, "%s:%d", f.Func, f.Line)
		}
		if f.Inlined {
			b.WriteString("(i)")
		}
		b.WriteString(" ")
	}
	return b.String()
}
