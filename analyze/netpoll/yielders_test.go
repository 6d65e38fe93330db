package netpoll

import (
	"strings"
	"testing"

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
	site, n := censusYielders(c)
	if n != 1 || site == nil || site.Function != "main.poll" {
		t.Fatalf("yielders %d in %+v, want 1 in main.poll", n, site)
	}
}
