package analyze

import (
	"strings"
	"testing"
)

func TestBasis(t *testing.T) {
	few := Basis{Metric: "cpu_samples", Count: 3, Min: 50, Unit: "samples", Artifact: "cpu.pprof", Why: "why"}
	many := few
	many.Count = 50
	if few.Enough() || !many.Enough() {
		t.Errorf("Enough: 3 of 50 %v, 50 of 50 %v", few.Enough(), many.Enough())
	}
	e := few.Evidence()
	if e.Value != 3 || e.Threshold == nil || *e.Threshold != 50 || !strings.Contains(e.Note, "not judged") {
		t.Errorf("evidence %+v", e)
	}
	f := Insufficient("netpoll_spin", few)
	if f.ID != "netpoll_spin/insufficient-data" || f.Severity != Info || f.Cause != "" ||
		!strings.Contains(f.Summary, "cpu_samples 3 samples (needs 50) in cpu.pprof") || len(f.Evidence) != 1 {
		t.Errorf("finding %+v", f)
	}
}
