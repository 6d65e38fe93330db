// Package pprofs decodes the pprof profiles of an archive once per
// analysis, in an internal analyzer the analyzers of profiles require
// (Analyzer, read with Of), tells what each one measures (CPU,
// allocations, mutex or block contention, goroutines), and turns samples
// into classified stacks.
package pprofs

import (
	"fmt"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/internal/stacks"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/pprofdata"
)

// Type is what a profile measures.
type Type string

// Profile types.
const (
	CPU       Type = "cpu"
	Allocs    Type = "allocs" // allocs or heap: both carry alloc_space since start
	Mutex     Type = "mutex"
	Block     Type = "block"
	Goroutine Type = "goroutine"
	Other     Type = "other"
)

// Loaded is one decoded profile and where it came from.
type Loaded struct {
	Artifact bundle.Artifact
	Type     Type
	Profile  *profile.Profile
}

// load decodes one pprof artifact through pprofdata's capped reader (a
// gzip bomb in a crafted archive stops at pprofdata.MaxBytes).
func load(pass *analyze.Pass, a bundle.Artifact) (*profile.Profile, error) {
	rc, err := pass.Open(a)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Path, err)
	}
	defer rc.Close()
	pr, err := pprofdata.Parse(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable pprof profile: %w", a.Path, err)
	}
	return pr, nil
}

// TypeOf tells what a profile measures from its sample types; mutex and
// block profiles share theirs (contentions/count, delay/nanoseconds) and
// are told apart by where their stacks start: the runtime records mutex
// contention at Unlock (the delay is charged to the unlocker), blocking at
// the blocking call (Lock, channel operations, select, Wait).
func TypeOf(p *profile.Profile, a bundle.Artifact) Type {
	if t := a.Attrs["profile_type"]; t != "" {
		switch Type(t) {
		case CPU, Mutex, Block, Goroutine:
			return Type(t)
		case "heap", Allocs:
			return Allocs
		}
	}
	has := func(typ string) bool { return SampleIndex(p, typ) >= 0 }
	switch {
	case has("cpu") || (p.PeriodType != nil && p.PeriodType.Type == "cpu"):
		return CPU
	case has("alloc_space") || has("inuse_space"):
		return Allocs
	case has("goroutine"):
		return Goroutine
	case has("delay") || has("contentions"):
		return mutexOrBlock(p, a)
	}
	return Other
}

func mutexOrBlock(p *profile.Profile, a bundle.Artifact) Type {
	var unlock, block int
	for _, s := range p.Sample {
		st := Stack(s)
		for i := 0; i < len(st) && i < 3; i++ {
			fn := st[i].Func
			if strings.Contains(fn, "Unlock") || strings.Contains(fn, "unlock") || strings.Contains(fn, "_LostContended") {
				unlock++
				break
			}
			if strings.Contains(fn, "Lock") || strings.Contains(fn, "chan") || strings.Contains(fn, "select") ||
				strings.Contains(fn, "Wait") || strings.Contains(fn, "semacquire") {
				block++
				break
			}
		}
	}
	switch {
	case unlock > block:
		return Mutex
	case block > unlock:
		return Block
	}
	name := strings.ToLower(a.Original + " " + a.Path)
	if strings.Contains(name, "mutex") {
		return Mutex
	}
	return Block
}

// SampleIndex returns the index of the sample type named typ, or -1.
func SampleIndex(p *profile.Profile, typ string) int {
	for i, st := range p.SampleType {
		if st.Type == typ {
			return i
		}
	}
	return -1
}

// Stack expands a sample's locations into frames, innermost first,
// inlined frames included.
func Stack(s *profile.Sample) []stacks.Frame {
	out := make([]stacks.Frame, 0, len(s.Location))
	for _, loc := range s.Location {
		kernel := loc.Mapping != nil && strings.HasPrefix(loc.Mapping.File, "[kernel")
		if len(loc.Line) == 0 {
			out = append(out, stacks.Frame{Func: fmt.Sprintf("0x%x", loc.Address), Kernel: kernel})
			continue
		}
		for _, l := range loc.Line {
			f := stacks.Frame{Line: int(l.Line), Kernel: kernel}
			if l.Function != nil {
				f.Func, f.File = l.Function.Name, l.Function.Filename
			}
			out = append(out, f)
		}
	}
	return out
}
