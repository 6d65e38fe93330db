package netpoll

import (
	"strings"
	"testing"

	"github.com/coroner/coroner/analyze/cpu"
	"github.com/coroner/coroner/analyze/internal/stacks"
	"github.com/coroner/coroner/bundle/goroutines"
)

// assistYieldDump is a goroutine?debug=2 dump in the runtime's format of
// a program collecting back to back: one goroutine polls with
// runtime.Gosched itself, two were preempted during a GC assist and yield
// from gcAssistAlloc (mgcmark.go), the background sweeper yields too.
const assistYieldDump = `goroutine 1 [running]:
main.main()
	/src/main.go:30 +0x1d

goroutine 7 [runnable]:
runtime.Gosched(...)
	/usr/local/go/src/runtime/proc.go:355
main.poll()
	/src/main.go:12 +0x25
created by main.main in goroutine 1
	/src/main.go:25 +0x4f

goroutine 8 [runnable]:
runtime.Gosched(...)
	/usr/local/go/src/runtime/proc.go:355
runtime.gcAssistAlloc(0xc000007a40)
	/usr/local/go/src/runtime/mgcmark.go:493 +0x1e5
runtime.deductAssistCredit(0x200)
	/usr/local/go/src/runtime/malloc.go:1721 +0x53
runtime.mallocgc(0x200, 0x0, 0x0)
	/usr/local/go/src/runtime/malloc.go:1045 +0x7f
main.build()
	/src/main.go:18 +0x33
created by main.main in goroutine 1
	/src/main.go:26 +0x5a

goroutine 9 [runnable]:
runtime.Gosched(...)
	/usr/local/go/src/runtime/proc.go:355
runtime.gcAssistAlloc(0xc000007c00)
	/usr/local/go/src/runtime/mgcmark.go:493 +0x1e5
runtime.deductAssistCredit(0x200)
	/usr/local/go/src/runtime/malloc.go:1721 +0x53
runtime.mallocgc(0x200, 0x0, 0x0)
	/usr/local/go/src/runtime/malloc.go:1045 +0x7f
main.build()
	/src/main.go:18 +0x33
created by main.main in goroutine 1
	/src/main.go:26 +0x5a
`

// TestCensusYieldersSkipRuntimeYields: only the goroutine that calls
// runtime.Gosched itself counts; the two yielding from a GC assist are the
// runtime's, however many there are.
func TestCensusYieldersSkipRuntimeYields(t *testing.T) {
	c, err := goroutines.ParseDump(strings.NewReader(assistYieldDump), "dump")
	if err != nil {
		t.Fatal(err)
	}
	site, n := censusYielders(c, func(string) bool { return false })
	if n != 1 || site == nil || site.Function != "main.poll" {
		t.Fatalf("yielders %d in %+v, want 1 in main.poll", n, site)
	}
}

// hiddenAssistDump is a moment like assistYieldDump's as the runtime's
// debug=2 dump really prints it: the runtime's unexported frames are left
// out, so the two assists' yields show runtime.Gosched right under
// main.build, as if it polled.
const hiddenAssistDump = `goroutine 7 [runnable]:
runtime.Gosched(...)
	/usr/local/go/src/runtime/proc.go:391
main.poll()
	/src/main.go:12 +0x25
created by main.main in goroutine 1
	/src/main.go:25 +0x4f

goroutine 8 [runnable]:
runtime.Gosched(...)
	/usr/local/go/src/runtime/proc.go:391
main.build()
	/src/main.go:18 +0x33
created by main.main in goroutine 1
	/src/main.go:26 +0x5a

goroutine 9 [runnable]:
runtime.Gosched(...)
	/usr/local/go/src/runtime/proc.go:391
main.build()
	/src/main.go:18 +0x33
created by main.main in goroutine 1
	/src/main.go:26 +0x5a
`

// TestCensusYieldersSkipHiddenAssists: told that main.build's yields are
// assists (its CPU goes to the allocator), only the poller counts; not
// told, the dump alone names main.build.
func TestCensusYieldersSkipHiddenAssists(t *testing.T) {
	c, err := goroutines.ParseDump(strings.NewReader(hiddenAssistDump), "dump")
	if err != nil {
		t.Fatal(err)
	}
	site, n := censusYielders(c, func(fn string) bool { return fn == "main.build" })
	if n != 1 || site == nil || site.Function != "main.poll" {
		t.Errorf("yielders %d in %+v, want 1 in main.poll", n, site)
	}
	if site, n := censusYielders(c, func(string) bool { return false }); n != 3 || site == nil || site.Function != "main.build" {
		t.Errorf("without the CPU's word: yielders %d in %+v, want 3, most in main.build", n, site)
	}
}

// TestMayAssist: a function seen in a mark assist, or with a quarter of
// its samples under the allocator or the collector, may assist; one that
// yields, is absent, or comes without a profile, does not.
func TestMayAssist(t *testing.T) {
	sample := func(v int64, fns ...string) cpu.Sample {
		var st []stacks.Frame
		for _, f := range fns {
			st = append(st, stacks.Frame{Func: f})
		}
		return cpu.Sample{Stack: st, Value: v}
	}
	prof := &cpu.Profile{Samples: []cpu.Sample{
		sample(30, "runtime.memclrNoHeapPointers", "runtime.mallocgc", "main.build", "main.main"),
		sample(70, "main.build", "main.main"),
		sample(1, "runtime.gcDrainN", "runtime.gcAssistAlloc", "runtime.mallocgc", "main.drafted"),
		sample(99, "main.drafted"),
		sample(20, "runtime.wbBufFlush", "runtime.gcWriteBarrier2", "main.store"),
		sample(61, "main.store"),
		sample(50, "runtime.gosched_m", "runtime.mcall"),
		sample(40, "runtime.Gosched", "main.poll"),
		sample(5, "main.poll"),
		sample(20, "runtime.mallocgc", "main.main"),
	}}
	for fn, want := range map[string]bool{"main.build": true, "main.drafted": true, "main.store": false, "main.poll": false, "main.absent": false} {
		if got := mayAssist(prof, fn); got != want {
			t.Errorf("mayAssist(%s) = %v, want %v", fn, got, want)
		}
	}
	if mayAssist(nil, "main.build") {
		t.Error("no profile: may assist")
	}
}
