package main

import (
	"fmt"
	"io"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/perfdata"
)

// splitRows bounds the processes printed one per line; the rest are
// summed into one line.
const splitRows = 15

// printSplit writes the per-process split of a recording: the target
// first, then the other processes by weight, the idle task last. Shares
// are of the host's busy time (all but the idle task's).
func printSplit(w io.Writer, a *perfdata.Aggregate) {
	s := a.Split()
	t := a.Target
	if t.Whole {
		fmt.Fprintf(w, "# Processes: %d with samples; no target chosen (%s)\n", len(a.Processes), t.Rule)
	} else {
		fmt.Fprintf(w, "# Processes: %d with samples; target: PID %d %s (%s)\n", len(a.Processes), t.PID, bundle.DisplayName(t.Name()), bundle.DisplayName(t.Rule))
	}
	fmt.Fprintf(w, "# %8s  %-16s  %10s  %7s  %s\n", "PID", "Command", "Samples", "Share", "Binary")
	row := func(p perfdata.Process, share string, mark string) {
		pid := fmt.Sprint(p.PID)
		if p.Unknown {
			pid = "?"
		}
		bin := p.Binary
		if p.Cgroup != "" {
			bin += "  cgroup " + p.Cgroup
		}
		fmt.Fprintf(w, "%s %8s  %-16s  %10d  %7s  %s\n", mark, pid, bundle.DisplayName(p.Name()), p.Samples, share, bundle.DisplayName(bin))
	}
	pct := func(v uint64) string { return fmt.Sprintf("%.2f%%", 100*s.Share(v)) }
	var idle []perfdata.Process
	for _, p := range a.Processes {
		if p.Idle {
			idle = append(idle, p)
		} else if !t.Whole && p.PID == t.PID && !p.Unknown {
			row(p, pct(s.Weight(p)), "*")
		}
	}
	others := s.Others
	if t.Whole {
		others = nil
		for _, p := range a.Processes {
			if !p.Idle {
				others = append(others, p)
			}
		}
	}
	var restN int
	var restSamples int64
	var restW uint64
	for i, p := range others {
		if i < splitRows {
			row(p, pct(s.Weight(p)), " ")
			continue
		}
		restN++
		restSamples += p.Samples
		restW += s.Weight(p)
	}
	if restN > 0 {
		fmt.Fprintf(w, "  %8s  %-16s  %10d  %7s\n", "", fmt.Sprintf("(%d more)", restN), restSamples, pct(restW))
	}
	for _, p := range idle {
		share := "idle"
		if s.Total > 0 {
			share = fmt.Sprintf("%.0f%% all", 100*float64(s.Idle)/float64(s.Total))
		}
		row(p, share, " ")
	}
	if !t.Whole {
		fmt.Fprintf(w, "# Neighbours: %.1f%% of the host's busy time; idle (PID 0) is not counted in shares\n", 100*s.Share(s.Neighbours))
	}
}
