package export

import (
	"fmt"
	"io"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/coroner/coroner/analyze/cpu"
)

// Pprof writes the merged CPU profile as a gzipped pprof protobuf with one
// sample type, cpu/nanoseconds, the values the merge converted every
// source to: its total is the merged profile's. Each sample carries the
// label "source", the archive path of the profile it came from, so
// `go tool pprof -tagfocus source=…` shows one source.
func Pprof(w io.Writer, p *cpu.Profile) error {
	out := &profile.Profile{
		SampleType:    []*profile.ValueType{{Type: "cpu", Unit: "nanoseconds"}},
		PeriodType:    &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		DurationNanos: int64(p.Wall),
	}
	sources := make([]string, len(p.Sources))
	for i, src := range p.Sources {
		sources[i] = frameName(src)
	}
	out.Comments = []string{"merged by coroner from " + strings.Join(sources, ", ")}
	// One mapping that says the functions are known, so pprof does not try
	// to symbolize addresses it was never given.
	m := &profile.Mapping{ID: 1, File: "coroner-merged", HasFunctions: true, HasFilenames: true, HasLineNumbers: true}
	out.Mapping = []*profile.Mapping{m}
	type funcKey struct{ name, file string }
	type locKey struct {
		funcKey
		line int
	}
	funcs := map[funcKey]*profile.Function{}
	locs := map[locKey]*profile.Location{}
	for _, s := range p.Samples {
		ids := make([]*profile.Location, 0, len(s.Stack))
		for _, f := range s.Stack {
			fk := funcKey{frameName(f.Func), f.File}
			fn := funcs[fk]
			if fn == nil {
				fn = &profile.Function{ID: uint64(len(out.Function) + 1), Name: fk.name, SystemName: fk.name, Filename: frameName(f.File)}
				if f.File == "" {
					fn.Filename = ""
				}
				funcs[fk] = fn
				out.Function = append(out.Function, fn)
			}
			lk := locKey{fk, f.Line}
			loc := locs[lk]
			if loc == nil {
				loc = &profile.Location{ID: uint64(len(out.Location) + 1), Mapping: m, Line: []profile.Line{{Function: fn, Line: int64(f.Line)}}}
				locs[lk] = loc
				out.Location = append(out.Location, loc)
			}
			ids = append(ids, loc)
		}
		out.Sample = append(out.Sample, &profile.Sample{
			Location: ids,
			Value:    []int64{s.Value},
			Label:    map[string][]string{"source": {frameName(s.Source)}},
		})
	}
	if err := out.CheckValid(); err != nil {
		return fmt.Errorf("merged CPU profile: %w", err)
	}
	return out.Write(w)
}
