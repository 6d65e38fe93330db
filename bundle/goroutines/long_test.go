package goroutines

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/coroner/coroner/internal/testcore"
)

// deepSrc parks n goroutines 12 calls deep, so their debug=2 dump exceeds
// the 64 MiB runtime/pprof writes, and saves debug=1 and debug=2.
const deepSrc = `package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"time"
)

func deep(ch chan int, n int) {
	if n > 0 {
		deep(ch, n-1)
		return
	}
	<-ch
}

func main() {
	ch := make(chan int)
	for i := 0; i < %d; i++ {
		go deep(ch, 12)
	}
	time.Sleep(2 * time.Second)
	for _, d := range []int{1, 2} {
		f, _ := os.Create(fmt.Sprintf("goroutine.debug%%d", d))
		pprof.Lookup("goroutine").WriteTo(f, d)
		f.Close()
	}
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// TestDebug2CutAt64MiB runs 100k goroutines and checks that the real
// debug=2 dump, cut by runtime/pprof, is detected and that debug=1 from the
// same moment is complete.
func TestDebug2CutAt64MiB(t *testing.T) {
	if os.Getenv("CORONER_LONG") == "" {
		t.Skip("set CORONER_LONG=1: needs a 100k-goroutine process and a 64 MiB dump")
	}
	const n = 100000
	exe := testcore.BuildIn(t, tmpDir, fmt.Sprintf(deepSrc, n))
	p := testcore.Start(t, exe, "ready")
	d2, err := os.ReadFile(filepath.Join(p.Cmd.Dir, "goroutine.debug2"))
	if err != nil {
		t.Fatal(err)
	}
	if len(d2) != pprofDebug2Cap {
		t.Fatalf("debug=2 dump is %d bytes, want the %d runtime/pprof stops at", len(d2), pprofDebug2Cap)
	}
	c, err := ParseDump(bytes.NewReader(d2), "goroutine.debug2")
	if err != nil {
		t.Fatal(err)
	}
	if c.Complete || len(c.Warnings) == 0 || c.Total() >= n {
		t.Errorf("cut dump: complete=%v total=%d warnings=%v", c.Complete, c.Total(), c.Warnings)
	}
	t.Logf("debug=2 holds %d of %d goroutines (%.0f%%)", c.Total(), n, 100*float64(c.Total())/n)
	d1, err := os.ReadFile(filepath.Join(p.Cmd.Dir, "goroutine.debug1"))
	if err != nil {
		t.Fatal(err)
	}
	c1, err := ParseDump(bytes.NewReader(d1), "goroutine.debug1")
	if err != nil {
		t.Fatal(err)
	}
	if !c1.Complete || c1.Total() < n {
		t.Errorf("debug=1: complete=%v total=%d", c1.Complete, c1.Total())
	}
}
