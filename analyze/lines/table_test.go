package lines

import (
	"testing"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/analyze/internal/stacks"
)

// TestChargesLikePprofList checks flat, cumulative and user charging on
// stacks where a recursive function appears twice and the innermost frame
// is the runtime's.
func TestChargesLikePprofList(t *testing.T) {
	tb := newTable()
	mapassign := stacks.Frame{Func: "runtime.mapassign_faststr", File: "runtime/map.go", Line: 100}
	record := stacks.Frame{Func: "main.record", File: "example.com/svc/main.go", Line: 48}
	walk := stacks.Frame{Func: "main.walk", File: "example.com/svc/main.go", Line: 20}
	tb.add(0, []stacks.Frame{mapassign, record, walk, walk}, 30)
	tb.add(0, []stacks.Frame{record, walk}, 10)
	tb.add(1, []stacks.Frame{walk}, 4096)
	tb.add(0, nil, 5)
	if c := tb.lines[pos{"runtime/map.go", 100}]; c[0].Flat != 30 || c[0].Cum != 30 {
		t.Errorf("mapassign %+v", c[0])
	}
	if c := tb.lines[pos{"example.com/svc/main.go", 48}]; c[0].Flat != 10 || c[0].Cum != 40 {
		t.Errorf("record %+v", c[0])
	}
	if c := tb.lines[pos{"example.com/svc/main.go", 20}]; c[0].Cum != 40 || c[1].Flat != 4096 || c[1].Cum != 4096 {
		t.Errorf("walk, counted once per sample though on the stack twice: %+v", c)
	}
	if tb.kinds[0].Total != 40 || tb.kinds[1].Total != 4096 {
		t.Errorf("totals %+v", tb.kinds)
	}
	r := &analyze.Result{Findings: []analyze.Finding{{ID: "x", Culprit: &analyze.Culprit{Function: "main.record", File: "example.com/svc/main.go", Line: 48}}}}
	tb.ContributeTo(r)
	v := r.Lines
	if v == nil || len(v.Kinds) != 2 || len(v.Files) != 1 || len(v.Files[0].Lines) != 2 {
		t.Fatalf("view %+v", v)
	}
	// The runtime's time is charged to the user line that called it.
	if len(v.Hot) != 2 || v.Hot[0] != (analyze.HotLine{Kind: "cpu", Function: "main.record", File: "example.com/svc/main.go", Line: 48, Value: 40}) {
		t.Errorf("hot %+v", v.Hot)
	}
}
