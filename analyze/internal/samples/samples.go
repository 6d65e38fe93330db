// Package samples counts the samples behind the merged CPU profile's
// shares, so the analyzers that threshold a share can say how many
// samples it rests on and decline to judge too few (analyze.Basis).
package samples

import (
	"fmt"
	"time"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/cpu"
)

// MinCPU is the fewest CPU samples a share is judged from. A share p of
// n samples has a binomial standard error of √(p(1−p)/n): at n = 50 a
// true 20 % share (the lowest spin threshold) reads within 9–31 % and a
// 40 % one (the critical threshold) within 26–54 % nineteen times in
// twenty, so the two stay apart; at n = 10 one stray sample moves a share
// 10 points, and an idle process's perf.data holds one to a few dozen.
// runtime/pprof samples at 100 Hz, so 50 samples is half a CPU-second: a
// five-second profile of a process busy a tenth of a core.
const MinCPU = 50

// fixedPeriodMin: values sharing a divisor at least this large come from
// a recorder sampling at a fixed period, which the divisor is:
// runtime/pprof writes count × period (10 ms at its 100 Hz), and perf's
// cpu-clock samples, converted with the period each one measured, carry
// the same nominal period in steady state (250 µs at its default 4 kHz,
// 1 ms at -F 999).
const fixedPeriodMin = 100 * time.Microsecond

// measuredPeriod is the period a recording's samples are counted at when
// their values share no such divisor (a perf recording whose periods
// varied, or another event than a clock): perf record -F 999's 1 ms.
// perf's default 4 kHz records four times as many, so the count errs
// low, towards not judging; a recording below 1 kHz (-F 99) is counted
// up to ten times too high.
const measuredPeriod = time.Millisecond

// CPU estimates the samples in p, per source: the CPU time divided by the
// source's period, taken as the largest divisor of its values when that
// marks a fixed-period recorder, else measuredPeriod.
func CPU(p *cpu.Profile) int64 {
	return Where(p, func(cpu.Sample) bool { return true })
}

// Where estimates, as CPU does, how many of p's samples satisfy pred.
func Where(p *cpu.Profile, pred func(cpu.Sample) bool) int64 {
	if p == nil {
		return 0
	}
	total := map[string]int64{}
	for _, s := range p.Samples {
		if s.Value > 0 && pred(s) {
			total[s.Source] += s.Value
		}
	}
	periods := periodsOf(p)
	var n int64
	for src, t := range total {
		period := periods[src]
		n += (t + period/2) / period
	}
	return n
}

// periodsOf returns each source's sampling period: the largest divisor of
// all its values when that marks a fixed-period recorder, else
// measuredPeriod.
func periodsOf(p *cpu.Profile) map[string]int64 {
	div := map[string]int64{}
	for _, s := range p.Samples {
		if s.Value > 0 {
			div[s.Source] = gcd(div[s.Source], s.Value)
		}
	}
	for src, d := range div {
		if d < int64(fixedPeriodMin) {
			div[src] = int64(measuredPeriod)
		}
	}
	return div
}

// CPUBasis is the basis of every share of p.
func CPUBasis(p *cpu.Profile) analyze.Basis {
	b := analyze.Basis{Metric: "cpu_samples", Count: float64(CPU(p)), Min: MinCPU, Unit: "samples",
		Why: "CPU samples behind the shares: CPU time over each recording's sampling period (1 ms where it has none); 50 samples give a 20 % share to ±11 points"}
	if p != nil {
		b.Artifact = p.Artifact()
	}
	return b
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// BasisOf is CPUBasis with min as the minimum.
func BasisOf(p *cpu.Profile, min int64) analyze.Basis {
	b := CPUBasis(p)
	b.Min = float64(min)
	b.Why = fmt.Sprintf("CPU samples behind the shares: CPU time over each recording's sampling period; fewer than %d are not judged", min)
	return b
}
