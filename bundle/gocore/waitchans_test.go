package gocore

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/coroner/coroner/bundle/elfcore"
	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/internal/testcore"
)

// timersSrc parks goroutines on a ticker's channel, on a time.After in a
// select (not its first case), in time.Sleep and on a plain channel, and
// sends them to a full semaphore channel (buffered chan struct{}), a full
// buffered chan int and an unbuffered chan struct{}. The
// test module says go 1.22, whose default is the asynchronous timer
// channels that had no hchan.timer; the directive asks for Go 1.23's.
const timersSrc = `//go:debug asynctimerchan=0
package main

import (
	"fmt"
	"time"
)

var plain = make(chan int)

//go:noinline
func onTicker() {
	t := time.NewTicker(250 * time.Millisecond)
	for range t.C {
	}
}

//go:noinline
func onAfter(quit chan int) {
	select {
	case <-quit:
	case <-plain:
	case <-time.After(time.Hour):
	}
}

//go:noinline
func onPlain() { <-plain }

var (
	slots = make(chan struct{}, 1)
	queue = make(chan int, 1)
	hand  = make(chan struct{})
)

//go:noinline
func acquireSlot() { slots <- struct{}{} }

//go:noinline
func enqueue() { queue <- 1 }

//go:noinline
func handOff() { hand <- struct{}{} }

func main() {
	for range 3 {
		go onTicker()
	}
	quit := make(chan int)
	go onAfter(quit)
	go onPlain()
	slots <- struct{}{}
	queue <- 0
	for range 2 {
		go acquireSlot()
		go enqueue()
		go handOff()
	}
	time.Sleep(100 * time.Millisecond)
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// TestChannelMarks: a snapshot's census marks the goroutines that wait
// on a timer's channel — with a ticker's period — and those acquiring a
// semaphore channel, and no other; for Go 1.23's synchronous timer
// channels (hchan.timer) and for the asynchronous ones a module declaring
// go 1.22 gets (found in the Ps' timer heaps) alike.
func TestChannelMarks(t *testing.T) {
	for name, src := range map[string]string{
		"sync":  timersSrc,
		"async": strings.Replace(timersSrc, "//go:debug asynctimerchan=0\n", "", 1),
	} {
		t.Run(name, func(t *testing.T) { channelMarks(t, src) })
	}
}

func channelMarks(t *testing.T, src string) {
	exe := testcore.BuildIn(t, tmpDir, src)
	c, _ := snapshotCensus(t, exe)
	want := map[string]*goroutines.Timer{
		"main.onTicker":    {PeriodNanos: 250e6},
		"main.onAfter":     {},
		"main.onPlain":     nil,
		"main.main":        nil, // time.Sleep: no channel
		"main.acquireSlot": nil,
		"main.enqueue":     nil,
		"main.handOff":     nil,
	}
	semaphore := map[string]bool{"main.acquireSlot": true}
	seen := map[string]int{}
	for _, g := range c.Goroutines {
		for _, f := range g.Frames {
			w, ok := want[f.Func]
			if !ok {
				continue
			}
			seen[f.Func]++
			switch {
			case (g.Timer == nil) != (w == nil):
				t.Errorf("goroutine %d in %s (%s): timer %+v, want %+v", g.ID, f.Func, g.WaitReason, g.Timer, w)
			case w != nil && g.Timer.PeriodNanos != w.PeriodNanos:
				t.Errorf("goroutine %d in %s: period %d, want %d", g.ID, f.Func, g.Timer.PeriodNanos, w.PeriodNanos)
			}
			if g.Semaphore != semaphore[f.Func] {
				t.Errorf("goroutine %d in %s (%s): semaphore %v", g.ID, f.Func, g.WaitReason, g.Semaphore)
			}
			break
		}
	}
	for fn := range want {
		if seen[fn] == 0 {
			t.Errorf("no goroutine in %s", fn)
		}
	}
	if seen["main.acquireSlot"] != 2 {
		t.Errorf("%d goroutines acquiring the semaphore, want 2", seen["main.acquireSlot"])
	}
	if seen["main.onTicker"] != 3 {
		t.Errorf("%d goroutines on the ticker, want 3", seen["main.onTicker"])
	}
}

// TestWaitChansBounded follows sudog lists read from memory: a select's
// list gives its channels in order, and a damaged or stale list that
// cycles without naming a channel ends after maxSelectCases sudogs rather
// than never.
func TestWaitChansBounded(t *testing.T) {
	const base, size = 0x10000, 0x1000
	mem := make([]byte, size)
	o := &gOffsets{sudogC: 88, sudogWaitlink: 72}
	sudog := func(at, c, next uint64) {
		binary.LittleEndian.PutUint64(mem[at-base+uint64(o.sudogC):], c)
		binary.LittleEndian.PutUint64(mem[at-base+uint64(o.sudogWaitlink):], next)
	}
	// A select over two channels.
	sudog(base, 0xc000, base+0x100)
	sudog(base+0x100, 0xd000, 0)
	// Two sudogs naming no channel, linked to each other.
	sudog(base+0x200, 0, base+0x300)
	sudog(base+0x300, 0, base+0x200)
	m := newCoreMem(bytes.NewReader(mem), &elfcore.Core{Size: size,
		Segments: []elfcore.Segment{{Type: 1, Vaddr: base, Filesz: size, Memsz: size}}})
	fr := &fastReader{mem: m, o: o}
	if got := fr.waitChans(base); len(got) != 2 || got[0] != 0xc000 || got[1] != 0xd000 {
		t.Errorf("select's channels: %#x, want [0xc000 0xd000]", got)
	}
	if got := fr.waitChans(base + 0x200); len(got) != 0 {
		t.Errorf("a cycle naming no channel: %#x, want none", got)
	}
}
