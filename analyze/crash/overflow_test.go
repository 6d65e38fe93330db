package crash

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coroner/coroner/analyze/analyzetest"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/testcore"
)

// overflowSrc recurses without end on a goroutine, with a 1 MiB stack
// limit so the runtime's "stack overflow" throw comes fast and the core
// stays small.
const overflowSrc = `package main

import "runtime/debug"

type node struct{ next *node }

//go:noinline
func (n *node) depth() int { return 1 + n.next.depth() }

func main() {
	debug.SetMaxStack(1 << 20)
	a := &node{}
	a.next = a
	done := make(chan int)
	go func() { done <- a.depth() }()
	<-done
}
`

// TestCrashTextFromLog: the runtime throws "stack overflow" on the system
// stack, where the core does not keep throw's argument; the crash log the
// runtime printed does, and the finding says so and names where the text
// came from. The signature is the one the log alone gives.
func TestCrashTextFromLog(t *testing.T) {
	exe := testcore.Build(t, overflowSrc)
	core, stderr := testcore.Crash(t, exe)
	log := filepath.Join(filepath.Dir(core), "crash.log")
	if err := os.WriteFile(log, stderr, 0o644); err != nil {
		t.Fatal(err)
	}
	coreOnly, _ := crashFinding(t, []analyzetest.File{{Disk: exe, Kind: bundle.KindGoBinary}, {Disk: core, Kind: bundle.KindCore}})
	t.Logf("from the core alone: %s", coreOnly.Title)
	both, _ := crashFinding(t, []analyzetest.File{{Disk: exe, Kind: bundle.KindGoBinary}, {Disk: core, Kind: bundle.KindCore},
		{Disk: log, Kind: bundle.KindGoroutineDump}})
	text, _ := crashFinding(t, []analyzetest.File{{Disk: log, Kind: bundle.KindGoroutineDump}})
	if !strings.Contains(both.Title, "fatal error: stack overflow") || both.Culprit == nil || both.Culprit.Function != "main.(*node).depth" {
		t.Errorf("title %q culprit %+v", both.Title, both.Culprit)
	}
	if both.ID != text.ID {
		t.Errorf("signature %s, the log alone gives %s", both.ID, text.ID)
	}
	if !strings.Contains(coreOnly.Title, "stack overflow") {
		found := false
		for _, e := range both.Evidence {
			found = found || e.Metric == "crash_text" && strings.HasSuffix(e.Artifact, "crash.log")
		}
		if !found {
			t.Errorf("the text came from the log but no evidence says so: %+v", both.Evidence)
		}
	}
}
