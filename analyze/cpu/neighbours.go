package cpu

import (
	"fmt"
	"strings"

	"github.com/coroner/coroner/bundle/perfdata"
)

// neighbourTop is how many other processes the neighbours' line names.
const neighbourTop = 3

// Neighbours is what a perf.data recording of several processes (perf
// record -a, several -p, --cgroup) held besides the process analysed.
// Its samples are left out of every figure of the Profile; this is the
// context line that says how much was left out.
type Neighbours struct {
	// Source is the archive path of the recording.
	Source string `json:"source"`
	// PID, Comm and Binary name the process analysed; Rule says why it.
	PID    uint32 `json:"pid"`
	Comm   string `json:"comm"`
	Binary string `json:"binary,omitempty"`
	Rule   string `json:"rule"`
	// Share is the other processes' share of the host's busy time (all
	// samples but the idle task's); Target the analysed process's.
	Share  float64 `json:"share"`
	Target float64 `json:"target_share"`
	// Idle is the idle task's (PID 0) share of all samples: CPUs with
	// nothing to run, not another program's work.
	Idle float64 `json:"idle_share"`
	// Top are the heaviest other processes, with their share of the
	// host's busy time.
	Top []Neighbour `json:"top,omitempty"`
}

// Neighbour is one other process of a recording.
type Neighbour struct {
	PID   uint32  `json:"pid"`
	Comm  string  `json:"comm"`
	Share float64 `json:"share"`
}

// neighboursOf describes what a recording held besides its target; ok is
// false when it held nothing else (a -p recording of the process).
func neighboursOf(source string, a *perfdata.Aggregate) (Neighbours, bool) {
	s := a.Split()
	t := a.Target
	if t.Whole || len(s.Others) == 0 {
		return Neighbours{}, false
	}
	n := Neighbours{Source: source, PID: t.PID, Comm: t.Name(), Binary: t.Binary, Rule: t.Rule,
		Share: s.Share(s.Neighbours), Target: s.Share(s.Target)}
	if s.Total > 0 {
		n.Idle = float64(s.Idle) / float64(s.Total)
	}
	for i, p := range s.Others {
		if i >= neighbourTop {
			break
		}
		n.Top = append(n.Top, Neighbour{PID: p.PID, Comm: p.Name(), Share: s.Share(s.Weight(p))})
	}
	return n, true
}

// Line renders the context line: "neighbours: 48 % of the host's busy
// samples, top: sha256sum 37 %, …; idle 12 % of all samples not counted".
func (n Neighbours) Line() string {
	var top []string
	for _, p := range n.Top {
		top = append(top, fmt.Sprintf("%s %.0f %%", quoteComm(p.Comm), 100*p.Share))
	}
	s := fmt.Sprintf("neighbours: %.0f %% of the host's busy samples, top: %s", 100*n.Share, strings.Join(top, ", "))
	if n.Idle > 0 {
		s += fmt.Sprintf("; idle CPUs (PID 0) %.0f %% of all samples, not counted", 100*n.Idle)
	}
	return s
}

// quoteComm renders a command name from the recording, which any process
// can set to anything: quoted when it holds more than letters, digits and
// the punctuation of ordinary names.
func quoteComm(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-:/+@", r)) {
			return fmt.Sprintf("%q", s)
		}
	}
	return s
}
