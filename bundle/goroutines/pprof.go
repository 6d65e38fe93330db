package goroutines

import (
	"fmt"
	"io"
	"slices"

	"github.com/google/pprof/profile"

	"github.com/coroner/coroner/bundle/pprofdata"
)

// ParseProfile reads a binary (protobuf, possibly gzipped) goroutine
// profile. Like debug=1 it groups goroutines by stack and carries labels
// but no states.
func ParseProfile(r io.Reader, name string) (*Census, error) {
	p, err := pprofdata.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(p.SampleType) == 0 || p.SampleType[0].Type != "goroutine" {
		return nil, fmt.Errorf("%s: not a goroutine profile (sample types %v)", name, sampleTypes(p))
	}
	c := &Census{Source: name, Format: "pprof", Complete: true}
	in := newInterner()
	for _, s := range p.Sample {
		if len(s.Value) == 0 || s.Value[0] <= 0 {
			continue
		}
		g := Goroutine{ID: -1, Status: "unknown", WaitMinutes: -1, Count: int(s.Value[0])}
		for _, loc := range s.Location {
			// Lines are innermost first; all but the last are inlined.
			for i, ln := range loc.Line {
				if ln.Function == nil {
					continue
				}
				g.Frames = append(g.Frames, Frame{
					Func: in.s(ln.Function.Name), File: in.s(ln.Function.Filename),
					Line: int(ln.Line), Inlined: i < len(loc.Line)-1,
				})
			}
		}
		if len(s.Label) > 0 {
			g.Labels = map[string]string{}
			for k, vs := range s.Label {
				if len(vs) > 0 {
					g.Labels[k] = vs[0]
				}
			}
		}
		g.System = IsSystem(&g)
		c.Goroutines = append(c.Goroutines, g)
	}
	return c, nil
}

func sampleTypes(p *profile.Profile) []string {
	var out []string
	for _, st := range p.SampleType {
		out = append(out, st.Type)
	}
	slices.Sort(out)
	return out
}
