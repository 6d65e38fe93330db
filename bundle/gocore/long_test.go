package gocore

import (
	"bytes"
	"os"
	"testing"

	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/internal/testcore"
)

// longWaitSrc parks goroutines for over a minute while GCs run (the
// runtime records g.waitsince lazily, at a GC) and a network poller keeps
// runtime.sched.lastpoll fresh.
const longWaitSrc = `package main

import (
	"fmt"
	"net"
	"runtime"
	"sync"
	"time"
)

func main() {
	var mu sync.Mutex
	mu.Lock()
	for i := 0; i < 10; i++ {
		go func() { mu.Lock() }()
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { ln.Accept() }()
	for i := 0; i < 13; i++ {
		runtime.GC()
		time.Sleep(5 * time.Second)
	}
	fmt.Println("ready")
	for {
		time.Sleep(10 * time.Millisecond)
	}
}
`

// TestWaitMinutes compares the core census's wait times with the runtime's
// own "N minutes" in a SIGQUIT dump taken right after the snapshot.
func TestWaitMinutes(t *testing.T) {
	if os.Getenv("CORONER_LONG") == "" {
		t.Skip("set CORONER_LONG=1: waits 65 s for goroutines to be blocked a minute")
	}
	exe := testcore.BuildIn(t, tmpDir, longWaitSrc)
	c, dump := snapshotCensus(t, exe)
	d, err := goroutines.ParseDump(bytes.NewReader(dump), "sigquit")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]int{}
	for _, g := range d.Goroutines {
		if g.WaitReason == "sync.Mutex.Lock" {
			want[g.ID] = g.WaitMinutes
		}
	}
	n := 0
	for _, g := range c.Goroutines {
		if w, ok := want[g.ID]; ok {
			n++
			if w < 1 || g.WaitMinutes != w {
				t.Errorf("goroutine %d: core says %d minutes, runtime %d", g.ID, g.WaitMinutes, w)
			}
		}
	}
	if n != 10 {
		t.Errorf("%d mutex waiters matched, want 10", n)
	}
}
