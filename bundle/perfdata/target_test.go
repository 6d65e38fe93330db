package perfdata

import (
	"strings"
	"testing"
)

// TestChooseRules checks the order of the target rules on one host's
// processes, most samples first as Aggregate lists them.
func TestChooseRules(t *testing.T) {
	procs := []Process{
		{PID: 0, Comm: "", Samples: 900, Idle: true},
		{PID: 40, Comm: "compile", Binary: "/usr/lib/go/compile", BuildID: "c0", Samples: 500, Go: true},
		{PID: 30, Comm: "sha256sum", Binary: "/usr/bin/sha256sum", BuildID: "5a", Samples: 400},
		{PID: 20, Comm: "server", Binary: "/srv/v2/server", BuildID: "b2", Samples: 300, Go: true},
		{PID: 10, Comm: "server", Binary: "/srv/v1/server", Samples: 200, Go: true},
	}
	for _, c := range []struct {
		name string
		sel  Selector
		pid  uint32
		rule string
	}{
		{"explicit PID beats the build ID", Selector{PID: 10, BuildIDs: []string{"b2"}}, 10, "--pid 10"},
		{"name: the busiest of two", Selector{Comm: "server"}, 20, "the busiest of 2"},
		{"build ID beats a busier Go process", Selector{BuildIDs: []string{"b2"}}, 20, "archive's binary (build ID b2)"},
		{"name only where no build ID was recorded", Selector{BuildIDs: []string{"ff"}, Names: []string{"server"}}, 10, "named like the archive's binary"},
		{"else the busiest Go process", Selector{BuildIDs: []string{"ff"}}, 40, "the busiest of 3 Go processes"},
	} {
		got, err := choose(procs, c.sel)
		if err != nil || got.PID != c.pid || got.Whole || !strings.Contains(got.Rule, c.rule) {
			t.Errorf("%s: PID %d (%q, whole %v, %v), want %d by %q", c.name, got.PID, got.Rule, got.Whole, err, c.pid, c.rule)
		}
	}
	// No Go process, and the idle task is never a target.
	got, err := choose([]Process{procs[0], procs[2]}, Selector{})
	if err != nil || !got.Whole {
		t.Errorf("without Go processes: %+v, %v; want the whole recording", got, err)
	}
	if _, err := choose(procs, Selector{PID: 99}); err == nil {
		t.Error("a PID without samples was accepted")
	}
}

// TestSplitLeavesIdleOut: shares are of the host's busy time; the idle
// task is neither the target nor a neighbour.
func TestSplitLeavesIdleOut(t *testing.T) {
	a := &Aggregate{Samples: 100, Period: 1000, Processes: []Process{
		{PID: 0, Samples: 50, Period: 500, Idle: true},
		{PID: 7, Comm: "server", Samples: 30, Period: 300, Go: true},
		{PID: 9, Comm: "sha256sum", Samples: 20, Period: 200},
	}}
	a.Target = Target{Process: a.Processes[1]}
	s := a.Split()
	if s.Total != 1000 || s.Idle != 500 || s.Target != 300 || s.Neighbours != 200 || s.Busy() != 500 {
		t.Fatalf("split %+v", s)
	}
	if got := s.Share(s.Neighbours); got != 0.4 {
		t.Errorf("neighbours' share %.2f of the busy time, want 0.40", got)
	}
	if len(s.Others) != 1 || s.Others[0].PID != 9 {
		t.Errorf("others %+v, want sha256sum alone", s.Others)
	}
}
