package perfdata

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/google/pprof/profile"
)

// TopEntry is one row of a flat profile: a function and the samples whose
// leaf frame fell in it.
type TopEntry struct {
	// Name is perf report's rendering: "[k] func", "[.] func" or an address.
	Name    string
	Samples int64
	Period  uint64
}

// Top returns the n functions with the most leaf samples (all when n ≤ 0),
// by samples, then name — the rows of perf report --no-children --sort sym.
func (a *Aggregate) Top(n int) []TopEntry {
	by := map[string]*TopEntry{}
	for _, st := range a.stacks {
		name := a.locs[st.locs[0]].Name()
		e := by[name]
		if e == nil {
			e = &TopEntry{Name: name}
			by[name] = e
		}
		e.Samples += st.samples
		e.Period += st.period
	}
	out := make([]TopEntry, 0, len(by))
	for _, e := range by {
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b TopEntry) int {
		return cmp.Or(cmp.Compare(b.Samples, a.Samples), strings.Compare(a.Name, b.Name))
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// clockEvents are software events whose period is in nanoseconds.
var clockEvents = map[string]bool{"cpu-clock": true, "task-clock": true}

// Profile converts the aggregate into a pprof profile with sample types
// samples/count and cpu/nanoseconds (the period of clock events; the
// event's name/count otherwise). With several events, each sample carries
// an "event" label. Inlined calls become extra lines of one location.
func (a *Aggregate) Profile() (*profile.Profile, error) {
	ev := "cpu"
	unit := "nanoseconds"
	if len(a.Events) > 0 {
		base, _, _ := strings.Cut(a.Events[0], ":")
		if !clockEvents[base] {
			ev, unit = base, "count"
		}
	}
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: ev, Unit: unit}},
		PeriodType: &profile.ValueType{Type: ev, Unit: unit},
	}
	if a.FreqHz > 0 && unit == "nanoseconds" {
		p.Period = int64(1e9 / a.FreqHz)
	}
	if a.LastTime > a.FirstTime {
		p.DurationNanos = int64(a.LastTime - a.FirstTime)
	}
	mappings := map[string]*profile.Mapping{}
	funcs := map[[2]string]*profile.Function{}
	// A view of one process (Only) shares the locations of all: keep
	// those its stacks use.
	used := make([]bool, len(a.locs))
	for _, st := range a.stacks {
		for _, id := range st.locs {
			used[id] = true
		}
	}
	locs := make([]*profile.Location, len(a.locs))
	for i, l := range a.locs {
		if !used[i] {
			continue
		}
		loc := &profile.Location{ID: uint64(len(p.Location) + 1), Address: l.addr, Mapping: mappingFor(p, mappings, l)}
		for _, fr := range l.frames {
			k := [2]string{fr.Func, fr.File}
			fn := funcs[k]
			if fn == nil {
				fn = &profile.Function{ID: uint64(len(p.Function) + 1), Name: fr.Func, SystemName: fr.Func, Filename: fr.File}
				funcs[k] = fn
				p.Function = append(p.Function, fn)
			}
			loc.Line = append(loc.Line, profile.Line{Function: fn, Line: int64(fr.Line)})
		}
		if loc.Mapping != nil && len(loc.Line) > 0 {
			loc.Mapping.HasFunctions = true
			loc.Mapping.HasFilenames = true
			loc.Mapping.HasLineNumbers = true
			loc.Mapping.HasInlineFrames = true
		}
		locs[i] = loc
		p.Location = append(p.Location, loc)
	}
	for _, st := range a.stacks {
		s := &profile.Sample{Value: []int64{st.samples, int64(st.period)}}
		for _, id := range st.locs {
			s.Location = append(s.Location, locs[id])
		}
		if len(a.Events) > 1 && st.event < len(a.Events) {
			s.Label = map[string][]string{"event": {a.Events[st.event]}}
		}
		p.Sample = append(p.Sample, s)
	}
	for _, w := range a.Warnings {
		p.Comments = append(p.Comments, "warning: "+w)
	}
	if err := p.CheckValid(); err != nil {
		return nil, fmt.Errorf("building pprof profile: %w", err)
	}
	return p, nil
}

// mappingFor returns the pprof mapping of l's file, creating it once.
func mappingFor(p *profile.Profile, byFile map[string]*profile.Mapping, l *loc) *profile.Mapping {
	if l.dso == "" {
		return nil
	}
	if m := byFile[l.dso]; m != nil {
		return m
	}
	m := &profile.Mapping{ID: uint64(len(p.Mapping) + 1), File: l.dso}
	if l.m != nil {
		m.Start, m.Limit, m.Offset, m.BuildID = l.m.start, l.m.end, l.m.pgoff, l.m.buildID
	}
	byFile[l.dso] = m
	p.Mapping = append(p.Mapping, m)
	return m
}

// ToProfile reads the perf.data at path and returns its samples as a
// symbolized pprof profile, with warnings about what could not be read or
// symbolized. binaries maps build IDs or mapped paths to local ELF files;
// kallsyms, when not "", names kernel frames.
func ToProfile(path string, binaries map[string]string, kallsyms string) (*profile.Profile, []string, error) {
	a, err := AggregateFile(path, Options{Binaries: binaries, Kallsyms: kallsyms})
	if err != nil {
		return nil, nil, err
	}
	p, err := a.Profile()
	if err != nil {
		return nil, a.Warnings, fmt.Errorf("%s: %w", path, err)
	}
	return p, a.Warnings, nil
}
