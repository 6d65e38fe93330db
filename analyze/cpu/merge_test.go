package cpu

import (
	"math"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/coroner/coroner/analyze/internal/stacks"
)

// TestMergedRateIsNotSummed: a pprof CPU profile and perf.data of the same
// window record the same CPU time; merging them must not double the
// process's busy cores or CPU time, while shares stay those of the union.
func TestMergedRateIsNotSummed(t *testing.T) {
	fn := &profile.Function{ID: 1, Name: "main.work"}
	loc := &profile.Location{ID: 1, Line: []profile.Line{{Function: fn}}}
	mk := func(ns int64) *profile.Profile {
		return &profile.Profile{
			SampleType:    []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
			Sample:        []*profile.Sample{{Location: []*profile.Location{loc}, Value: []int64{ns / 1e7, ns}}},
			DurationNanos: int64(10 * time.Second),
			Function:      []*profile.Function{fn},
			Location:      []*profile.Location{loc},
		}
	}
	var one, two Profile
	one.ByCategory, two.ByCategory = map[stacks.Category]int64{}, map[stacks.Category]int64{}
	if err := one.add("cpu.pprof", mk(int64(15*time.Second))); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{"cpu.pprof", "perf.data"} {
		if err := two.add(src, mk(int64(15*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	if c := two.Cores(); math.Abs(c-1.5) > 1e-9 || math.Abs(c-one.Cores()) > 1e-9 {
		t.Errorf("cores: merged %.3f, single %.3f, want 1.5 both", c, one.Cores())
	}
	if d := two.CPUTime(); d != 15*time.Second {
		t.Errorf("CPU time of the merged window %v, want 15s", d)
	}
}
