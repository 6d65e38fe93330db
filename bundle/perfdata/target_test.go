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
