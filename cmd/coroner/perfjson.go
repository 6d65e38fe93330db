package main

import (
	"io"

	"github.com/coroner/coroner/bundle/perfdata"
)

// perfJSON is what coroner perf --json prints: the tables of the text
// output as data. Ratios are fractions (0–1) of the field they name.
type perfJSON struct {
	Events      []string `json:"events"`
	Samples     int64    `json:"samples"`
	LostSamples uint64   `json:"lost_samples"`
	// Target is the process the top functions are restricted to (--pid,
	// --comm, --target); absent when they cover the whole recording.
	Target    *perfProcessJSON  `json:"target,omitempty"`
	Processes []perfProcessJSON `json:"processes"`
	Top       []perfTopJSON     `json:"top"`
	Warnings  []string          `json:"warnings"`
}

// perfProcessJSON is one row of the per-process split.
type perfProcessJSON struct {
	PID     uint32 `json:"pid"`
	Comm    string `json:"comm"`
	Binary  string `json:"binary,omitempty"`
	BuildID string `json:"build_id,omitempty"`
	Cgroup  string `json:"cgroup,omitempty"`
	Samples int64  `json:"samples"`
	// BusyRatio is the process's share of the host's busy (non-idle) time.
	BusyRatio float64 `json:"busy_ratio"`
	Go        bool    `json:"go"`
	Idle      bool    `json:"idle,omitempty"`
	Unknown   bool    `json:"unknown_pid,omitempty"`
	Rule      string  `json:"rule,omitempty"`
}

// perfTopJSON is one row of the top functions.
type perfTopJSON struct {
	Symbol  string `json:"symbol"`
	Samples int64  `json:"samples"`
	// SamplesRatio is the function's leaf samples over all samples shown.
	SamplesRatio float64 `json:"samples_ratio"`
}

// writePerfJSON writes whole (the recording) split per process, and the top
// n functions of shown (whole, or its target's samples with restrict).
func writePerfJSON(w io.Writer, whole, shown *perfdata.Aggregate, n int, restrict bool) error {
	s := whole.Split()
	row := func(p perfdata.Process) perfProcessJSON {
		return perfProcessJSON{PID: p.PID, Comm: p.Name(), Binary: p.Binary, BuildID: p.BuildID, Cgroup: p.Cgroup,
			Samples: p.Samples, BusyRatio: s.Share(s.Weight(p)), Go: p.Go, Idle: p.Idle, Unknown: p.Unknown}
	}
	out := perfJSON{Events: whole.Events, Samples: whole.Samples, LostSamples: whole.Lost,
		Processes: []perfProcessJSON{}, Top: []perfTopJSON{}, Warnings: whole.Warnings}
	if out.Events == nil {
		out.Events = []string{}
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, p := range whole.Processes {
		r := row(p)
		if p.Idle {
			r.BusyRatio = 0 // idle is not busy time
		}
		out.Processes = append(out.Processes, r)
	}
	if restrict && !whole.Target.Whole {
		t := row(whole.Target.Process)
		t.Rule = whole.Target.Rule
		out.Target = &t
	}
	for _, e := range shown.Top(n) {
		ratio := 0.0
		if shown.Samples > 0 {
			ratio = float64(e.Samples) / float64(shown.Samples)
		}
		out.Top = append(out.Top, perfTopJSON{Symbol: e.Name, Samples: e.Samples, SamplesRatio: ratio})
	}
	return writeJSONOut(w, out)
}
