package cpu

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/internal/stacks"
)

// Sample is one distinct stack and the CPU time spent on it.
type Sample struct {
	Stack    []stacks.Frame // innermost first
	Value    int64          // nanoseconds of CPU
	Category stacks.Category
	Source   string // archive path of the profile
}

// Hot is a function and the CPU time attributed to it.
type Hot struct {
	Func  string  `json:"func"`
	File  string  `json:"file,omitempty"`
	Line  int     `json:"line,omitempty"`
	Value int64   `json:"value_ns"`
	Share float64 `json:"share"`
}

// Profile is the merged CPU profile: the result of the cpu analyzer that
// the root-cause analyzers read.
type Profile struct {
	Samples []Sample
	// Total is the CPU time of all samples, in nanoseconds.
	Total int64
	// Wall is the longest recording among the sources.
	Wall time.Duration
	// Sources lists the artifacts merged, sorted.
	Sources []string
	// ByCategory sums CPU time per runtime function family.
	ByCategory map[stacks.Category]int64
	// Flat and Cum are the hottest functions by self and cumulative time.
	Flat, Cum []Hot
	// Neighbours describes, per perf.data of several processes, what the
	// other processes used; their samples are in no figure above.
	Neighbours []Neighbours
	flame      *analyze.FlameNode
	// rates holds, per source of known duration, its CPU time divided by
	// its duration: the sources record the same process over about the
	// same window, so their rates estimate one quantity while their CPU
	// times add up to a multiple of it.
	rates []float64
}

// Share returns the CPU time of samples having a frame that satisfies
// pred, and its fraction of the total.
func (p *Profile) Share(pred func(stacks.Frame) bool) (int64, float64) {
	if p == nil || p.Total == 0 {
		return 0, 0
	}
	var v int64
	for _, s := range p.Samples {
		if _, ok := stacks.Any(s.Stack, pred); ok {
			v += s.Value
		}
	}
	return v, float64(v) / float64(p.Total)
}

// ShareWhere returns the CPU time of samples satisfying pred, and its
// fraction of the total.
func (p *Profile) ShareWhere(pred func(Sample) bool) (int64, float64) {
	if p == nil || p.Total == 0 {
		return 0, 0
	}
	var v int64
	for _, s := range p.Samples {
		if pred(s) {
			v += s.Value
		}
	}
	return v, float64(v) / float64(p.Total)
}

// CategoryShare returns a category's fraction of the total.
func (p *Profile) CategoryShare(c stacks.Category) float64 {
	if p == nil || p.Total == 0 {
		return 0
	}
	return float64(p.ByCategory[c]) / float64(p.Total)
}

// Cores is the average number of CPUs busy during the recording, or 0
// when no source's duration is known. With several sources (a pprof CPU
// profile and perf.data of the same window) it is the mean of their rates,
// not their sum, which would count the same CPU time once per recorder.
func (p *Profile) Cores() float64 {
	if p == nil || len(p.rates) == 0 {
		return 0
	}
	var sum float64
	for _, r := range p.rates {
		sum += r
	}
	return sum / float64(len(p.rates))
}

// CPUTime is the CPU time the recording window held: the busy cores times
// the longest recording, or the merged samples' total when no duration is
// known.
func (p *Profile) CPUTime() time.Duration {
	if c := p.Cores(); c > 0 && p.Wall > 0 {
		return time.Duration(c * float64(p.Wall))
	}
	return time.Duration(p.Total)
}

// MinMaterialCores is the CPU rate, in cores, below which a function
// family's share is not judged: a pathology burning under 5 % of one core
// cannot be what made an incident, whatever its share of a nearly idle
// process (a deadlocked or crashed service spends most of its little CPU
// in the scheduler and at startup). The rate is the share times the cores
// the whole profile kept busy.
const MinMaterialCores = 0.05

// Material reports whether share of this profile's CPU amounts to at least
// MinMaterialCores; true when the recording's duration is unknown.
func (p *Profile) Material(share float64) bool {
	if p == nil || p.Total == 0 {
		return false
	}
	c := p.Cores()
	return c == 0 || share*c >= MinMaterialCores
}

// Culprits ranks the user frames responsible for the samples that have a
// frame satisfying pred: for each such sample, the innermost user frame
// outside (a caller of) the matched frame; when the match has no user
// caller (a runtime-started goroutine), the innermost user frame anywhere.
// Values are the samples' CPU time; shares are of the matched time.
func (p *Profile) Culprits(pred func(stacks.Frame) bool, n int) []Hot {
	if p == nil {
		return nil
	}
	agg := map[string]*Hot{}
	lines := map[string]map[[2]any]int64{}
	var matched int64
	for _, s := range p.Samples {
		i, ok := stacks.Any(s.Stack, pred)
		if !ok {
			continue
		}
		matched += s.Value
		u := stacks.FirstUser(s.Stack, i+1)
		if u < 0 {
			u = stacks.FirstUser(s.Stack, 0)
		}
		if u < 0 {
			continue
		}
		f := s.Stack[u]
		h := agg[f.Func]
		if h == nil {
			h = &Hot{Func: f.Func}
			agg[f.Func] = h
			lines[f.Func] = map[[2]any]int64{}
		}
		h.Value += s.Value
		lines[f.Func][[2]any{f.File, f.Line}] += s.Value
	}
	return rank(agg, lines, matched, n)
}

// rank sorts aggregated functions by value (then name), keeping the
// heaviest file:line for each.
func rank(agg map[string]*Hot, lines map[string]map[[2]any]int64, total int64, n int) []Hot {
	out := make([]Hot, 0, len(agg))
	for fn, h := range agg {
		var best int64 = -1
		for fl, v := range lines[fn] {
			file, line := fl[0].(string), fl[1].(int)
			if v > best || (v == best && (file < h.File || (file == h.File && line < h.Line))) {
				best, h.File, h.Line = v, file, line
			}
		}
		if total > 0 {
			h.Share = float64(h.Value) / float64(total)
		}
		out = append(out, *h)
	}
	slices.SortFunc(out, func(a, b Hot) int { return cmp.Or(cmp.Compare(b.Value, a.Value), strings.Compare(a.Func, b.Func)) })
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// hotFunctions computes flat (innermost frame) and cumulative (anywhere on
// the stack, once per sample) time per function.
func (p *Profile) hotFunctions(n int) {
	flat, cum := map[string]*Hot{}, map[string]*Hot{}
	flatLines, cumLines := map[string]map[[2]any]int64{}, map[string]map[[2]any]int64{}
	add := func(m map[string]*Hot, ls map[string]map[[2]any]int64, f stacks.Frame, v int64) {
		h := m[f.Func]
		if h == nil {
			h = &Hot{Func: f.Func}
			m[f.Func] = h
			ls[f.Func] = map[[2]any]int64{}
		}
		h.Value += v
		ls[f.Func][[2]any{f.File, f.Line}] += v
	}
	for _, s := range p.Samples {
		if len(s.Stack) == 0 {
			continue
		}
		add(flat, flatLines, s.Stack[0], s.Value)
		seen := map[string]bool{}
		for _, f := range s.Stack {
			if !seen[f.Func] {
				seen[f.Func] = true
				add(cum, cumLines, f, s.Value)
			}
		}
	}
	p.Flat = rank(flat, flatLines, p.Total, n)
	p.Cum = rank(cum, cumLines, p.Total, n)
}

// ContributeTo puts the flame graph into the result.
func (p *Profile) ContributeTo(r *analyze.Result) {
	if p.flame != nil {
		r.Flame = p.flame
		r.FlameUnit = "ns" // add converts every sample to CPU nanoseconds
	}
}

// Artifact names the profiles' archive paths, comma-separated, as evidence
// drawn from them names its artifact.
func (p *Profile) Artifact() string { return strings.Join(p.Sources, ",") }
