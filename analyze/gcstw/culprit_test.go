package gcstw

import (
	"testing"

	"github.com/coroner/coroner/analyze/internal/stacks"
)

// TestBlamedFrame: a pool's New is charged to the code using the pool;
// other allocations to their innermost user frame.
func TestBlamedFrame(t *testing.T) {
	fr := func(fs ...string) []stacks.Frame {
		st := make([]stacks.Frame, len(fs))
		for i, f := range fs {
			st[i] = stacks.Frame{Func: f}
		}
		return st
	}
	for _, c := range []struct {
		stack []stacks.Frame
		want  int
	}{
		{fr("runtime.mallocgc", "main.newBuf", "main.handle"), 1},
		{fr("runtime.mallocgc", "main.init.func1", "sync.(*Pool).Get", "main.encode", "main.handle"), 3},
		{fr("runtime.mallocgc", "main.init.func1", "sync.(*Pool).Get"), 1},
		{fr("runtime.mallocgc", "runtime.newobject"), -1},
	} {
		if got := blamedFrame(c.stack); got != c.want {
			t.Errorf("blamedFrame(%v) = %d, want %d", c.stack, got, c.want)
		}
	}
}
