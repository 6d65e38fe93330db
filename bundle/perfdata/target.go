package perfdata

import (
	"errors"
	"fmt"
	"path"
	"slices"
)

// Selector says which process of a recording is the one under study. A
// recording of a whole host (perf record -a), of several -p PIDs or of a
// cgroup holds many processes; every CPU figure about the service must
// come from its samples alone.
type Selector struct {
	// PID, when not 0, names the process (coroner perf --pid).
	PID uint32
	// Comm, when not "", names it by command name (--comm); with several
	// such processes, the one with the most samples.
	Comm string
	// BuildIDs are the build IDs of the Go binaries the incident is about
	// (an archive's): a process whose executable has one is the target.
	BuildIDs []string
	// Names are those binaries' file names: a process whose executable
	// has one and no recorded build ID (perf record --no-buildid, or a
	// binary built without a GNU build ID) is the target when no build ID
	// matched.
	Names []string
}

// Target is the process a recording is read for and the rule that chose
// it.
type Target struct {
	Process
	// Rule says why this process, for the reader ("runs the archive's
	// binary (build ID 1a2b3c4d5e6f…)").
	Rule string
	// Whole is set when no process was chosen (no Go process, or samples
	// without PIDs): figures are then the whole recording's.
	Whole bool
}

// ErrNoProcess is returned when a Selector's PID or Comm names no process
// with samples.
var ErrNoProcess = errors.New("no such process in the recording")

// choose applies the rules in order: an explicit PID or command name; the
// process running one of the incident's binaries (by build ID, else by
// name when no build ID was recorded for it); the Go process with the
// most samples; else the whole recording.
func choose(procs []Process, sel Selector) (Target, error) {
	busiest := func(match func(Process) bool) (Process, int) {
		var best Process
		n := 0
		for _, p := range procs { // most samples first
			if !p.Idle && !p.Unknown && match(p) {
				if n == 0 {
					best = p
				}
				n++
			}
		}
		return best, n
	}
	of := func(n int, what string) string {
		if n == 1 {
			return ""
		}
		return fmt.Sprintf("; the busiest of %d %s", n, what)
	}
	if sel.PID != 0 {
		p, n := busiest(func(p Process) bool { return p.PID == sel.PID })
		if n == 0 {
			return Target{}, fmt.Errorf("--pid %d: %w (no samples)", sel.PID, ErrNoProcess)
		}
		return Target{Process: p, Rule: fmt.Sprintf("--pid %d", sel.PID)}, nil
	}
	if sel.Comm != "" {
		p, n := busiest(func(p Process) bool { return p.Comm == clipComm(sel.Comm) })
		if n == 0 {
			return Target{}, fmt.Errorf("--comm %q: %w (no samples)", sel.Comm, ErrNoProcess)
		}
		return Target{Process: p, Rule: fmt.Sprintf("--comm %q%s", sel.Comm, of(n, "processes of that name"))}, nil
	}
	if p, n := busiest(func(p Process) bool { return p.BuildID != "" && slices.Contains(sel.BuildIDs, p.BuildID) }); n > 0 {
		return Target{Process: p, Rule: fmt.Sprintf("runs the archive's binary (build ID %s)%s", shortID(p.BuildID), of(n, "processes running it"))}, nil
	}
	if p, n := busiest(func(p Process) bool {
		return p.BuildID == "" && p.Binary != "" && slices.Contains(sel.Names, path.Base(p.Binary))
	}); n > 0 {
		return Target{Process: p, Rule: fmt.Sprintf("its executable is named like the archive's binary (%s; no build ID recorded to prove it)%s", path.Base(p.Binary), of(n, "such processes"))}, nil
	}
	if p, n := busiest(func(p Process) bool { return p.Go }); n > 0 {
		return Target{Process: p, Rule: "the Go process with the most samples" + of(n, "Go processes")}, nil
	}
	t := Target{Whole: true, Rule: "no Go process found: all processes counted"}
	if len(procs) > 0 && procs[0].Unknown && len(procs) == 1 {
		t.Rule = "the samples carry no PID (sample type without tid): all counted"
	}
	return t, nil
}

// shortID abbreviates a build ID for messages.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12] + "…"
	}
	return id
}

// Split divides a recording's samples between the target, the other
// processes and the idle CPUs. Shares are of the host's busy time: the
// recording minus the idle task, whose samples are CPUs with nothing to
// run (and the interrupts they took meanwhile), not work anyone's program
// did. Whether idle CPUs are sampled at all depends on the event (cpu-clock
// keeps ticking on an idle CPU, cycles stop in a halted one), so counting
// them would make a neighbour's share depend on the event.
type Split struct {
	// Total, Idle, Target and Neighbours weigh samples by their period
	// (nanoseconds for cpu-clock, events otherwise), as perf report's
	// overhead does; by count when no sample has a period.
	Total, Idle, Target, Neighbours uint64
	// Samples is the number of samples in the recording.
	Samples int64
	// Others are the processes other than the target and idle, heaviest
	// first.
	Others []Process

	byPeriod bool
}

// Split returns the division of the recording around its target.
func (a *Aggregate) Split() Split {
	byPeriod := a.Period > 0
	w := func(p Process) uint64 {
		if byPeriod {
			return p.Period
		}
		return uint64(p.Samples)
	}
	s := Split{Samples: a.Samples, byPeriod: byPeriod}
	for _, p := range a.Processes {
		s.Total += w(p)
		switch {
		case p.Idle:
			s.Idle += w(p)
		case a.Target.Whole || p.PID == a.Target.PID && !p.Unknown:
			s.Target += w(p)
		default:
			s.Neighbours += w(p)
			s.Others = append(s.Others, p)
		}
	}
	if byPeriod {
		slices.SortStableFunc(s.Others, func(x, y Process) int {
			switch {
			case x.Period > y.Period:
				return -1
			case x.Period < y.Period:
				return 1
			}
			return 0
		})
	}
	return s
}

// Busy is the host's busy time: all but the idle task's.
func (s Split) Busy() uint64 { return s.Total - s.Idle }

// Share returns v as a fraction of the busy time.
func (s Split) Share(v uint64) float64 {
	if s.Busy() == 0 {
		return 0
	}
	return float64(v) / float64(s.Busy())
}

// Weight is p's weight in the split: its period, or its samples when the
// recording has no periods.
func (s Split) Weight(p Process) uint64 {
	if s.byPeriod {
		return p.Period
	}
	return uint64(p.Samples)
}

// Only returns a view of the aggregate holding only the stacks of process
// pid; Samples and Period are that process's, the rest is shared.
func (a *Aggregate) Only(pid uint32) *Aggregate {
	v := *a
	v.stacks, v.Samples, v.Period = nil, 0, 0
	for _, st := range a.stacks {
		if st.pid == pid {
			v.stacks = append(v.stacks, st)
			v.Samples += st.samples
			v.Period += st.period
		}
	}
	return &v
}

// TargetOnly returns the aggregate restricted to its target process, or
// the aggregate itself when the target is the whole recording.
func (a *Aggregate) TargetOnly() *Aggregate {
	if a.Target.Whole {
		return a
	}
	return a.Only(a.Target.PID)
}
