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
	return Where(p, func(cpu.Sample) bool { return true })
}

// Where estimates how many of p's samples satisfy pred, as Count does.
func Where(p *cpu.Profile, pred func(cpu.Sample) bool) int64 {
	if p == nil {
		return 0
	}
	period := map[string]int64{}
	for _, s := range p.Samples {
		if q, ok := period[s.Source]; s.Value > 0 && (!ok || s.Value < q) {
			period[s.Source] = s.Value
		}
	}
	var n int64
	for _, s := range p.Samples {
		if s.Value > 0 && pred(s) {
			n += s.Value / period[s.Source]
		}
	}
	return n
}
