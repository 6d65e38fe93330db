package samples

import (
	"testing"
	"time"

	"github.com/coroner/coroner/analyze/cpu"
)

// TestCPU: runtime/pprof's values are counts times its 10 ms period, so
// they are counted exactly; perf's measured nanoseconds at 1 ms each.
func TestCPU(t *testing.T) {
	ms := int64(time.Millisecond)
	p := &cpu.Profile{Samples: []cpu.Sample{
		{Value: 30 * ms, Source: "cpu.pprof"}, {Value: 10 * ms, Source: "cpu.pprof"}, {Value: 70 * ms, Source: "cpu.pprof"},
		{Value: 1003001, Source: "perf.data"}, {Value: 2997000, Source: "perf.data"},
	}}
	if got := CPU(p); got != 11+4 {
		t.Errorf("CPU = %d, want 11 pprof samples and 4 perf ones", got)
	}
	if CPU(nil) != 0 {
		t.Error("nil profile has samples")
	}
}

// TestWhere counts only the samples a predicate keeps, each source at its
// own period.
func TestWhere(t *testing.T) {
	ms := int64(time.Millisecond)
	p := &cpu.Profile{Samples: []cpu.Sample{
		{Value: 10 * ms, Source: "cpu.pprof"}, {Value: 70 * ms, Source: "cpu.pprof"},
		{Value: 3 * ms, Source: "perf.data"}, {Value: 1 * ms, Source: "perf.data"}, {Value: 0, Source: "perf.data"},
	}}
	if got := Where(p, func(s cpu.Sample) bool { return s.Source == "perf.data" }); got != 4 {
		t.Errorf("Where = %d, want 4", got)
	}
	if got := Where(p, func(s cpu.Sample) bool { return s.Value == 70*ms }); got != 7 {
		t.Errorf("Where = %d, want 7", got)
	}
	if Where(&cpu.Profile{}, func(cpu.Sample) bool { return true }) != 0 {
		t.Error("an empty profile has samples")
	}
}
