package samples

import (
	"testing"

	"github.com/coroner/coroner/analyze/cpu"
)

func TestCount(t *testing.T) {
	const ms = int64(1e6)
	p := &cpu.Profile{Samples: []cpu.Sample{
		{Value: 10 * ms, Source: "cpu.pprof"}, {Value: 70 * ms, Source: "cpu.pprof"},
		{Value: 3 * ms, Source: "perf.data"}, {Value: 1 * ms, Source: "perf.data"}, {Value: 0, Source: "perf.data"},
	}}
	// 8 pprof samples at 10 ms, 4 perf samples at 1 ms.
	if got := Count(p); got != 12 {
		t.Errorf("Count = %d, want 12", got)
	}
	if got := Where(p, func(s cpu.Sample) bool { return s.Source == "perf.data" }); got != 4 {
		t.Errorf("Where = %d, want 4", got)
	}
	if Count(nil) != 0 || Count(&cpu.Profile{}) != 0 {
		t.Error("empty profiles have samples")
	}
}
