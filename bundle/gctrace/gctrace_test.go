package gctrace

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseLine(t *testing.T) {
	c, err := Parse("2026/11/25 10:00:00 app: gc 7 @0.811s 4%: 0.030+1.2+0.015 ms clock, 0.12+0.40/1.1/2.3+0.061 ms cpu, 4->5->2 MB, 6 MB goal, 1 MB stacks, 0 MB globals, 4 P (forced)")
	if err != nil {
		t.Fatal(err)
	}
	want := Cycle{N: 7, At: 811 * time.Millisecond, CPUPercent: 4, SweepTerm: 30 * time.Microsecond, Mark: 1200 * time.Microsecond,
		MarkTerm: 15 * time.Microsecond, CPUSweepTerm: 120 * time.Microsecond, CPUAssist: 400 * time.Microsecond,
		CPUBackground: 1100 * time.Microsecond, CPUIdle: 2300 * time.Microsecond, CPUMarkTerm: 61 * time.Microsecond,
		HeapStart: 4, HeapEnd: 5, HeapLive: 2, HeapGoal: 6, Stacks: 1, Procs: 4, Forced: true}
	if c != want {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
	if c.Pause() != 45*time.Microsecond {
		t.Errorf("pause = %v", c.Pause())
	}
	// Go before 1.18 printed no stacks/globals.
	if _, err := Parse("gc 1 @0.004s 1%: 0.009+0.21+0.002 ms clock, 0.036+0.10/0.17/0.27+0.010 ms cpu, 4->4->0 MB, 5 MB goal, 4 P"); err != nil {
		t.Error(err)
	}
	// Go 1.26 marks cycles that also look for leaked goroutines.
	c, err = Parse("gc 3 @1.204s 2% (checking for goroutine leaks): 0.041+0.88+0.012 ms clock, 0.16+0.10/0.71/0.33+0.049 ms cpu, 7->7->3 MB, 8 MB goal, 0 MB stacks, 0 MB globals, 4 P")
	if err != nil || c.N != 3 || c.CPUPercent != 2 || c.Mark != 880*time.Microsecond || c.Forced {
		t.Errorf("leak-checking cycle: %+v %v", c, err)
	}
	if _, err := Parse("scvg: 0 MB released"); err == nil || !strings.Contains(err.Error(), "scvg") {
		t.Errorf("non-gctrace line: %v", err)
	}
}

func TestSummarizeRealLog(t *testing.T) {
	f, err := os.Open("testdata/alloc.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Summarize(f, "alloc.log")
	if err != nil {
		t.Fatal(err)
	}
	if s.Cycles < 50 || s.Forced != 1 || s.PauseCount != 2*s.Cycles || s.Skipped > 1 { // the process may exit mid-line
		t.Errorf("cycles %d forced %d pauses %d skipped %d", s.Cycles, s.Forced, s.PauseCount, s.Skipped)
	}
	if s.PauseMax < s.P99 || s.P99 <= 0 || s.PauseTotal < s.PauseMax {
		t.Errorf("pause figures inconsistent: max %v p99 %v total %v", s.PauseMax, s.P99, s.PauseTotal)
	}
	for i, c := range s.CyclesList {
		if c.N != i+1 {
			t.Fatalf("cycle %d numbered %d", i+1, c.N)
		}
	}
}

func TestSummarizeWindow(t *testing.T) {
	in := "gc 1 @1.000s 5%: 1+10+1 ms clock, 4+1/20/30+4 ms cpu, 8->9->4 MB, 9 MB goal, 0 MB stacks, 0 MB globals, 4 P\n" +
		"gc 2 @1.500s 5%: 1+20+1 ms clock, 4+2/40/30+4 ms cpu, 8->9->4 MB, 9 MB goal, 0 MB stacks, 0 MB globals, 4 P (forced)\n" +
		"gc 3 @2.000s 6%: 1+99+1 ms clock, 4+9/99/99+4 ms cpu, 8->9->4 MB, 9 MB goal, 0 MB stacks, 0 MB globals, 4 P\n"
	s, err := Summarize(strings.NewReader(in), "window.log")
	if err != nil {
		t.Fatal(err)
	}
	// The last cycle started at the end of the span: only the first two
	// ran inside it. Idle marking is not the program's cost.
	if s.Span != time.Second || s.MarkInSpan != 34*time.Millisecond || s.BusyCPUInSpan != (4+1+20+4+4+2+40+4)*time.Millisecond || s.Forced != 1 {
		t.Errorf("span %v mark %v busy CPU %v forced %d", s.Span, s.MarkInSpan, s.BusyCPUInSpan, s.Forced)
	}
}

func TestSummarizeLimitAndGOGCLogs(t *testing.T) {
	for _, name := range []string{"limit.log", "gogc10.log"} {
		f, err := os.Open("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Summarize(f, name)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		// Both keep about 50 MiB live; only the limit's goal stays put.
		if s.Cycles < 10 || s.LiveMax < 40 || s.Forced != 0 || s.MarkInSpan <= 0 || s.MarkInSpan > s.Span {
			t.Errorf("%s: cycles %d live max %v forced %d mark %v span %v", name, s.Cycles, s.LiveMax, s.Forced, s.MarkInSpan, s.Span)
		}
	}
}

func TestOverlongLineStops(t *testing.T) {
	in := "gc 1 @0.004s 1%: 0.009+0.21+0.002 ms clock, 0.036+0.10/0.17/0.27+0.010 ms cpu, 4->4->0 MB, 5 MB goal, 4 P\n" +
		strings.Repeat("x", MaxLine+10) + "\n"
	s, err := Summarize(strings.NewReader(in), "long.log")
	if err != nil {
		t.Fatal(err)
	}
	if s.Cycles != 1 || !s.Truncated {
		t.Errorf("cycles %d truncated %v", s.Cycles, s.Truncated)
	}
}

func FuzzSummarize(f *testing.F) {
	b, err := os.ReadFile("testdata/alloc.log")
	if err != nil {
		f.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	f.Add(string(b[:min(len(b), 4096)]))
	f.Add(lines[0])
	f.Add(lines[len(lines)/2])
	f.Fuzz(func(t *testing.T, s string) {
		sum, err := Summarize(strings.NewReader(s), "fuzz")
		if err != nil {
			return
		}
		if sum.PauseCount != 2*sum.Cycles || sum.PauseMax < sum.P99 || sum.MarkInSpan < 0 || sum.BusyCPUInSpan < 0 {
			t.Fatalf("inconsistent summary %+v", sum)
		}
	})
}
