// Package samples counts the CPU samples behind a merged CPU profile, so a
// share computed from it can say how many samples it rests on and an
// analyzer can refuse to judge one that rests on too few.
package samples

import "github.com/coroner/coroner/analyze/cpu"

// Count estimates how many samples p's sources recorded. The merged
// profile keeps CPU time per distinct stack (pprof's cpu/nanoseconds, or a
// perf sample count times its period), not counts; every source samples at
// a fixed period, so its smallest stack value is one period (a stack seen
// once) and its total divided by that period is its sample count.
func Count(p *cpu.Profile) int64 {
	if p == nil {
		return 0
	}
	period := map[string]int64{}
	total := map[string]int64{}
	for _, s := range p.Samples {
		if s.Value <= 0 {
			continue
		}
		if q, ok := period[s.Source]; !ok || s.Value < q {
			period[s.Source] = s.Value
		}
		total[s.Source] += s.Value
	}
	var n int64
	for src, t := range total {
		n += t / period[src]
	}
	return n
}
