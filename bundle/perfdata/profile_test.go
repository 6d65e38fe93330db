package perfdata

import (
	"testing"
)

// TestProfileTwoEvents converts a two-event recording: every sample keeps
// its event as a label, and the profile holds all samples.
func TestProfileTwoEvents(t *testing.T) {
	a, err := AggregateFile("testdata/two-events.data", Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Profile()
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	events := map[string]bool{}
	for _, s := range p.Sample {
		total += s.Value[0]
		if len(s.Label["event"]) != 1 {
			t.Fatalf("sample without an event label: %v", s.Label)
		}
		events[s.Label["event"][0]] = true
	}
	if total != a.Samples || total != readCounts(t)["two-events.data"] {
		t.Errorf("profile holds %d samples, aggregate %d", total, a.Samples)
	}
	if len(events) != 2 {
		t.Errorf("events %v, want two", events)
	}
	if p.Period == 0 || p.PeriodType.Type != "cpu" {
		t.Errorf("period %d %v", p.Period, p.PeriodType)
	}
}

// TestDwarfFixtureUnwinds checks the DWARF-mode fixture's user stacks are
// unwound beyond the leaf when the binary is not at hand: the frame
// pointers alone give the chain, though unnamed.
func TestDwarfFixtureUnwinds(t *testing.T) {
	a, err := AggregateFile("testdata/dwarf.data", Options{})
	if err != nil {
		t.Fatal(err)
	}
	deep := false
	for _, st := range a.stacks {
		if len(st.locs) > 2 {
			deep = true
		}
	}
	if !deep {
		t.Errorf("no dwarf sample unwound past its caller; warnings %q", a.Warnings)
	}
}
