package evidence

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/pprof/profile"

	"github.com/coroner/coroner/bundle/pprofdata"
)

// ParseProfile reads a pprof profile.
func ParseProfile(r io.Reader) (*profile.Profile, error) {
	p, err := pprofdata.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("pprof: %w", err)
	}
	return p, nil
}

// valueIndex finds the sample value named typ (e.g. "cpu", "delay").
func valueIndex(p *profile.Profile, typ string) (int, error) {
	for i, st := range p.SampleType {
		if st.Type == typ {
			return i, nil
		}
	}
	return 0, fmt.Errorf("profile has no %q samples", typ)
}

// Share returns the fraction of the profile's typ value in samples whose
// stack holds a function for which match is true.
func Share(p *profile.Profile, typ string, match func(fn string) bool) (float64, error) {
	vi, err := valueIndex(p, typ)
	if err != nil {
		return 0, err
	}
	var total, hit int64
	for _, s := range p.Sample {
		v := s.Value[vi]
		total += v
		if stackHas(s, match) {
			hit += v
		}
	}
	if total == 0 {
		return 0, nil
	}
	return float64(hit) / float64(total), nil
}

func stackHas(s *profile.Sample, match func(string) bool) bool {
	for _, loc := range s.Location {
		for _, ln := range loc.Line {
			if ln.Function != nil && match(ln.Function.Name) {
				return true
			}
		}
	}
	return false
}

// Total sums the profile's typ value (CPU nanoseconds, delay nanoseconds).
func Total(p *profile.Profile, typ string) (int64, error) {
	vi, err := valueIndex(p, typ)
	if err != nil {
		return 0, err
	}
	var t int64
	for _, s := range p.Sample {
		t += s.Value[vi]
	}
	return t, nil
}

// Cores is CPU time per wall time over a CPU profile: 1.0 is one core busy.
func Cores(p *profile.Profile) (float64, error) {
	t, err := Total(p, "cpu")
	if err != nil || p.DurationNanos <= 0 {
		return 0, err
	}
	return float64(t) / float64(p.DurationNanos), nil
}

// Waiting is the mutex or block profile's delay per second of wall time
// over span: how many goroutines were waiting, on average.
func Waiting(p *profile.Profile, span time.Duration) (float64, error) {
	t, err := Total(p, "delay")
	if err != nil || span <= 0 {
		return 0, err
	}
	return float64(t) / float64(span), nil
}

// Prefix matches function names starting with any of prefixes.
func Prefix(prefixes ...string) func(string) bool {
	return func(fn string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(fn, p) {
				return true
			}
		}
		return false
	}
}
