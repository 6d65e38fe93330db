package gocore

import (
	"bytes"
	"encoding/gob"
	"reflect"
	"testing"
	"unsafe"

	"github.com/coroner/coroner/bundle/goroutines"
)

// TestWireRoundTrip: a census sent in chunks comes back equal, its
// goroutines sharing one slice per distinct stack and one frame per
// creator, across chunk boundaries.
func TestWireRoundTrip(t *testing.T) {
	stacks := [][]goroutines.Frame{
		{{Func: "runtime.gopark", File: "proc.go", Line: 1}, {Func: "main.a"}},
		{{Func: "main.b", Inlined: true}},
	}
	creator := &goroutines.Frame{Func: "main.main", File: "main.go", Line: 9}
	mk := func() *goroutines.Census {
		c := &goroutines.Census{Source: "core", Format: "core", Complete: true, Warnings: []string{"w"}}
		for i := range 2*wireChunkLen + 5 {
			g := goroutines.Goroutine{ID: int64(i), Status: "waiting", WaitReason: []string{"chan receive", "", "select"}[i%3],
				Frames: stacks[i%2], Count: 1, HeldLocks: []uint64{uint64(i)}}
			if i%5 == 0 {
				g.Status, g.WaitReason = "runnable", ""
			}
			if i%3 != 0 {
				g.CreatedBy = creator
			}
			if i == 7 {
				// The same stack in its own slice: matched by content.
				g.Frames = append([]goroutines.Frame(nil), stacks[1]...)
			}
			c.Goroutines = append(c.Goroutines, g)
		}
		return c
	}
	var buf bytes.Buffer
	if err := writeWire(&buf, mk()); err != nil {
		t.Fatal(err)
	}
	got, err := readWire(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if want := mk(); !reflect.DeepEqual(got, want) {
		t.Fatalf("census changed on the wire: %d goroutines, want %d", len(got.Goroutines), len(want.Goroutines))
	}
	if &got.Goroutines[1].Frames[0] != &got.Goroutines[wireChunkLen+1].Frames[0] || &got.Goroutines[7].Frames[0] != &got.Goroutines[1].Frames[0] {
		t.Error("goroutines with the same stack do not share it")
	}
	if got.Goroutines[1].CreatedBy != got.Goroutines[2*wireChunkLen+1].CreatedBy {
		t.Error("goroutines with the same creator do not share its frame")
	}
	// Goroutines 2 and 2+15*547 are in the same state, in different chunks.
	if got.Goroutines[2].WaitReason != "select" || unsafe.StringData(got.Goroutines[2].WaitReason) != unsafe.StringData(got.Goroutines[2+15*547].WaitReason) {
		t.Error("goroutines in the same state do not share its strings")
	}
	// A stream cut after its header is an error, not a short census.
	buf.Reset()
	if err := writeWire(&buf, mk()); err != nil {
		t.Fatal(err)
	}
	if _, err := readWire(bytes.NewReader(buf.Bytes()[:buf.Len()/2])); err == nil {
		t.Error("a cut stream read without error")
	}
}

// FuzzReadWire: whatever the child's output holds, reading it returns a
// census or an error, never a panic, and restores only goroutines the
// chunks carried. Seeded with a real census on the wire, whole and cut.
func FuzzReadWire(f *testing.F) {
	c := &goroutines.Census{Source: "core", Format: "core", Complete: true}
	shared := []goroutines.Frame{{Func: "runtime.gopark", File: "proc.go", Line: 1}}
	for i := range 3 {
		c.Goroutines = append(c.Goroutines, goroutines.Goroutine{ID: int64(i), Status: "waiting", WaitReason: "chan receive",
			Frames: shared, CreatedBy: &goroutines.Frame{Func: "main.main"}, Count: 1})
	}
	var buf bytes.Buffer
	if err := writeWire(&buf, c); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		// A header may claim up to maxAllgs goroutines, allocated whole
		// before the chunks arrive; the fuzzer's claims stay small.
		var head wire
		if gob.NewDecoder(bytes.NewReader(data)).Decode(&head) == nil && head.Total > 1<<16 {
			t.Skip("header claims too many goroutines to allocate here")
		}
		got, err := readWire(bytes.NewReader(data))
		if err == nil && len(got.Goroutines) != head.Total {
			t.Fatalf("%d goroutines read, header says %d", len(got.Goroutines), head.Total)
		}
	})
}
