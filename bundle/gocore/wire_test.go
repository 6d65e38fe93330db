package gocore

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"reflect"
	"slices"
	"strconv"
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
	got, err := readWire(&buf, nil)
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
	if _, err := readWire(bytes.NewReader(buf.Bytes()[:buf.Len()/2]), nil); err == nil {
		t.Error("a cut stream read without error")
	}
}

// FuzzReceiveCensus: whatever the child's output holds, reading it
// returns a census or an error, never a panic, and restores only
// goroutines the chunks carried. Seeded with a real census on the wire,
// with a plan and without, whole and cut.
func FuzzReceiveCensus(f *testing.F) {
	c := &goroutines.Census{Source: "core", Format: "core", Complete: true}
	shared := []goroutines.Frame{{Func: "runtime.gopark", File: "proc.go", Line: 1}}
	for i := range 3 {
		c.Goroutines = append(c.Goroutines, goroutines.Goroutine{ID: int64(i), Status: "waiting", WaitReason: "chan receive",
			Frames: shared, CreatedBy: &goroutines.Frame{Func: "main.main"}, Count: 1})
	}
	for _, planned := range []int{-1, 3} {
		var buf bytes.Buffer
		s := newWireSender(&buf)
		if planned >= 0 {
			s.plan(planned)
		}
		if err := s.send(c); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
		f.Add(buf.Bytes()[:buf.Len()/2])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// A plan and a header may claim up to maxAllgs goroutines,
		// allocated whole before the chunks arrive; the fuzzer's claims
		// stay small.
		planned, n := binary.Uvarint(data)
		var head wire
		if n > 0 && gob.NewDecoder(bytes.NewReader(data[n:])).Decode(&head) == nil && head.Total > 1<<16 || planned > 1<<16 {
			t.Skip("the stream claims too many goroutines to allocate here")
		}
		got, err := receiveCensus(bytes.NewReader(data))
		if err == nil && len(got.Goroutines) != head.Total {
			t.Fatalf("%d goroutines read, header says %d", len(got.Goroutines), head.Total)
		}
	})
}

// TestWirePlan: a census whose plan came first is read into the room
// made for the plan; one without a plan, or planned larger than the room
// made ahead may be, reads the same; only the first plan is sent; a
// stream cut after its plan is an error.
func TestWirePlan(t *testing.T) {
	mk := func() *goroutines.Census {
		c := &goroutines.Census{Source: "core", Format: "core", Complete: true}
		for i := range wireChunkLen + 3 {
			c.Goroutines = append(c.Goroutines, goroutines.Goroutine{ID: int64(i), Status: "runnable", Count: 1})
		}
		return c
	}
	tooLarge := int(maxPlannedRoom/unsafe.Sizeof(goroutines.Goroutine{})) + 1
	for _, planned := range []int{-1, 0, wireChunkLen + 10, tooLarge} {
		var buf bytes.Buffer
		s := newWireSender(&buf)
		if planned >= 0 {
			s.plan(planned)
			s.plan(1) // not sent
		}
		if err := s.send(mk()); err != nil {
			t.Fatal(err)
		}
		stream := slices.Clone(buf.Bytes())
		got, err := receiveCensus(&buf)
		if err != nil {
			t.Fatalf("plan %d: %v", planned, err)
		}
		if want := mk(); !reflect.DeepEqual(got, want) {
			t.Fatalf("plan %d: census changed on the wire", planned)
		}
		room := planned == wireChunkLen+10
		if got := cap(got.Goroutines) == planned; got != room {
			t.Errorf("plan %d: read into the planned room: %v, want %v", planned, got, room)
		}
		if planned > 0 {
			_, n := binary.Uvarint(stream)
			if _, err := receiveCensus(bytes.NewReader(stream[:n])); err == nil {
				t.Errorf("plan %d: a stream cut after its plan read without error", planned)
			}
		}
	}
}

// BenchmarkWire sends a census of 100,000 goroutines in a few stacks, as
// a large service's core gives it, through writeWire and readWire.
func BenchmarkWire(b *testing.B) {
	stacks := [][]goroutines.Frame{
		{{Func: "runtime.gopark", File: "proc.go", Line: 1}, {Func: "main.a", File: "main.go", Line: 3}},
		{{Func: "runtime.gopark", File: "proc.go", Line: 1}, {Func: "main.b", File: "main.go", Line: 8}},
	}
	creator := &goroutines.Frame{Func: "main.main", File: "main.go", Line: 9}
	mk := func() *goroutines.Census {
		c := &goroutines.Census{Source: "core", Format: "core", Complete: true}
		for i := range 100000 {
			c.Goroutines = append(c.Goroutines, goroutines.Goroutine{ID: int64(i + 1), Status: "waiting", WaitReason: "chan receive",
				WaitMinutes: 3, WaitNanos: 180e9 + int64(i), Frames: stacks[i%2], CreatedBy: creator, CreatorID: 1, LockAddr: 0xc000100000 + uint64(i%7)*64, Count: 1})
		}
		return c
	}
	var buf bytes.Buffer
	for b.Loop() {
		b.StopTimer()
		c := mk()
		buf.Reset()
		b.StartTimer()
		if err := writeWire(&buf, c); err != nil {
			b.Fatal(err)
		}
		if _, err := readWire(&buf, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Cap())/1e6, "MB-buffer")
}

// TestWireChunkCarriesEveryField: a goroutine with every field of
// goroutines.Goroutine set (and of its Timer) comes back equal, so a
// field added to the model and not to the chunk codec fails here.
func TestWireChunkCarriesEveryField(t *testing.T) {
	var g goroutines.Goroutine
	fill(t, reflect.ValueOf(&g).Elem(), 1)
	c := &goroutines.Census{Source: "core", Format: "core", Goroutines: []goroutines.Goroutine{g, g}}
	c.Goroutines[1].ID++
	want := &goroutines.Census{Source: "core", Format: "core", Goroutines: slices.Clone(c.Goroutines)}
	var buf bytes.Buffer
	if err := writeWire(&buf, c); err != nil {
		t.Fatal(err)
	}
	got, err := readWire(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Goroutines, want.Goroutines) {
		t.Errorf("on the wire\n%+v\nbecame\n%+v", want.Goroutines[0], got.Goroutines[0])
	}
}

// fill sets every field of v to a value other than its zero value.
func fill(t *testing.T, v reflect.Value, n int64) {
	t.Helper()
	switch v.Kind() {
	case reflect.Int, reflect.Int64:
		v.SetInt(n)
	case reflect.Uint64:
		v.SetUint(uint64(n))
	case reflect.String:
		v.SetString("s" + strconv.FormatInt(n, 10))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(t, v.Field(i), n+int64(i))
		}
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(t, p.Elem(), n)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(t, s.Index(0), n)
		fill(t, s.Index(1), n+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, k, n)
		fill(t, e, n+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	default:
		t.Fatalf("cannot fill a %s: teach fill and the chunk codec this field", v.Type())
	}
}
