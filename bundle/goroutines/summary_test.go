package goroutines

import (
	"fmt"
	"maps"
	"testing"
)

// TestSummarizeCounts: the summary's counts equal a plain count by map,
// for a census of a few states and for one with more distinct wait
// reasons than a tally keeps (maxTally), repeated out of order.
func TestSummarizeCounts(t *testing.T) {
	for _, reasons := range []int{3, 3 * maxTally} {
		c := &Census{}
		for i := range 10 * reasons {
			g := Goroutine{ID: int64(i), Status: "waiting", WaitReason: fmt.Sprintf("reason %d", (i*7)%reasons), Count: 1 + i%3}
			if i%5 == 0 {
				g.Status, g.WaitReason, g.System = "runnable", "", true
			}
			c.Goroutines = append(c.Goroutines, g)
		}
		// The census's system goroutines are its runnable ones, with no
		// wait reason.
		want := Summary{Status: map[string]int{}, Wait: map[string]int{}}
		for _, g := range c.Goroutines {
			want.Status[g.Status] += g.Count
			if g.System {
				want.System += g.Count
				continue
			}
			want.User += g.Count
			want.Wait[g.WaitReason] += g.Count
		}
		want.Total = want.User + want.System
		got := Summarize(c)
		if got.Total != want.Total || got.User != want.User || got.System != want.System ||
			!maps.Equal(got.Status, want.Status) || !maps.Equal(got.Wait, want.Wait) {
			t.Errorf("%d reasons: summary %+v, want %+v", reasons, got, want)
		}
	}
}
