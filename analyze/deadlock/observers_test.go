package deadlock

import (
	"os"
	"testing"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/goroutines"
)

// TestStallSeenThroughCapture: a debug=2 dump that net/http/pprof served
// while a capture was also taking a CPU profile and a trace (from a
// service whose 50 producers block forever on a channel nobody reads).
// The profile writer and the capture's not-yet-run connections are
// runnable; they are the observer's, so the stall is still reported.
func TestStallSeenThroughCapture(t *testing.T) {
	const dump = "testdata/stalled-during-capture.txt"
	f, err := os.Open(dump)
	if err != nil {
		t.Fatal(err)
	}
	c, err := goroutines.ParseDump(f, dump)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	obs := observers(c)
	runnableObservers := 0
	for i, g := range c.Goroutines {
		if obs[i] && g.Status == "runnable" {
			runnableObservers++
		}
		if !obs[i] && !g.System && g.Status == "runnable" {
			t.Errorf("goroutine %d runnable and not the observer's: %+v", g.ID, g.Frames)
		}
	}
	if runnableObservers < 2 {
		t.Fatalf("%d runnable observer goroutines; the dump was chosen for having several", runnableObservers)
	}
	fs := analyse(t, []analyzetest.File{{Disk: dump, Kind: bundle.KindGoroutineDump}})
	if len(fs) != 1 || fs[0].Cause != analyze.CauseDeadlock {
		t.Fatalf("findings %+v", fs)
	}
	if fs[0].Culprit == nil || fs[0].Culprit.Function != "main.(*batcher).produce" {
		t.Errorf("culprit %+v", fs[0].Culprit)
	}
}
