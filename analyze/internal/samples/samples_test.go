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
