package tracefile

import (
	"bytes"
	"context"
	"os"
	"testing"
)

func TestSummarizeRealTrace(t *testing.T) {
	b, err := os.ReadFile("testdata/gc-mutex.trace")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Summarize(context.Background(), bytes.NewReader(b), "gc-mutex.trace")
	if err != nil {
		t.Fatal(err)
	}
	if s.Truncated {
		t.Fatalf("whole trace reported truncated: %s", s.Warning)
	}
	if s.GCCycles == 0 || s.STWCount < 2*s.GCCycles || s.STWTotal <= 0 || s.Duration <= 0 || s.GOMAXPROCS == 0 {
		t.Errorf("GC figures: cycles %d stw %d (%v) duration %v procs %d", s.GCCycles, s.STWCount, s.STWTotal, s.Duration, s.GOMAXPROCS)
	}
	reasons := map[string]bool{}
	for _, p := range s.STW {
		reasons[p.Reason] = true
	}
	if !reasons["GC sweep termination"] || !reasons["GC mark termination"] {
		t.Errorf("STW reasons %v", reasons)
	}
	var syncWait bool
	for _, b := range s.Blocks {
		if b.Reason == "sync" && len(b.Frames) > 0 && b.Total > 0 {
			syncWait = true
		}
	}
	if len(s.Assists) == 0 || len(s.Assists[0].Frames) == 0 || s.Assists[0].Count == 0 {
		t.Errorf("no mark assist sites: %+v", s.Assists)
	}
	// Cycles begin where an allocation crosses the heap trigger, and once
	// where the program calls runtime.GC.
	var alloc, forced int64
	for _, st := range s.GCStarts {
		for _, f := range st.Frames {
			switch f.Func {
			case "runtime.mallocgc":
				alloc += st.Count
			case "runtime.GC":
				forced += st.Count
			}
		}
	}
	if alloc == 0 || alloc+forced > int64(s.GCCycles)+1 {
		t.Errorf("GC starts: %d by allocation, %d forced, of %d cycles: %+v", alloc, forced, s.GCCycles, s.GCStarts)
	}
	if !syncWait {
		t.Errorf("no mutex blocking among %d sites", len(s.Blocks))
	}
	// Cut traces still summarize what came before the cut.
	cut, err := Summarize(context.Background(), bytes.NewReader(b[:len(b)*2/3]), "cut.trace")
	if err != nil {
		t.Fatal(err)
	}
	if !cut.Truncated && cut.Events >= s.Events {
		t.Errorf("cut trace: truncated %v, %d of %d events", cut.Truncated, cut.Events, s.Events)
	}
	if _, err := Summarize(context.Background(), bytes.NewReader([]byte("not a trace at all")), "junk"); err == nil {
		t.Error("junk accepted")
	}
}

func FuzzSummarize(f *testing.F) {
	b, err := os.ReadFile("testdata/gc-mutex.trace")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[:min(len(b), 8192)])
	f.Add(b[:64])
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Summarize(context.Background(), bytes.NewReader(data), "fuzz")
		if err == nil && (s.STWTotal < 0 || s.BlockTotal < 0) {
			t.Fatalf("negative totals: %+v", s)
		}
	})
}

// BenchmarkSummarize summarizes a real runtime/trace recording.
func BenchmarkSummarize(b *testing.B) {
	data, err := os.ReadFile("testdata/gc-mutex.trace")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Summarize(context.Background(), bytes.NewReader(data), "gc-mutex.trace"); err != nil {
			b.Fatal(err)
		}
	}
}
