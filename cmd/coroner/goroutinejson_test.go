package main

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/internal/hostile"
)

// appendGoroutineJSON is a goroutine's JSON from the appenders, whole.
func appendGoroutineJSON(g *goroutines.Goroutine) []byte {
	b := appendGoroutineHead(nil, g)
	b = appendFramesJSON(b, g.Frames)
	return appendGoroutineTail(b, g)
}

// jsonNasties are strings whose escaping encoding/json spells out one by
// one: every ASCII control byte, quotes, backslashes, HTML specials,
// invalid and truncated UTF-8, the JavaScript line separators, and
// characters of each UTF-8 length.
var jsonNasties = func() []string {
	var all []byte
	for c := range 0x80 {
		all = append(all, byte(c))
	}
	return append(slices.Clone(hostile.Strings), string(all), "\xff", "a\xc3", "\xe2\x80", "\xed\xa0\x80",
		"\u2027\u2028\u2029\u202a", "é中𝄞\U0010ffff", "\\\"\\", "", " ")
}()

// TestGoroutineJSONMatchesEncodingJSON: the appenders write what
// json.MarshalIndent writes for a census list element, for goroutines with
// every field empty, set, and holding hostile strings.
func TestGoroutineJSONMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	str := func() string { return jsonNasties[rng.IntN(len(jsonNasties))] }
	frame := func() goroutines.Frame {
		f := goroutines.Frame{Func: str()}
		if rng.IntN(2) == 0 {
			f.File, f.Line, f.Inlined = str(), rng.IntN(3)-1, rng.IntN(2) == 0
		}
		return f
	}
	gs := []goroutines.Goroutine{{}, {Frames: []goroutines.Frame{}}, {Timer: &goroutines.Timer{}, CreatedBy: &goroutines.Frame{}, Labels: map[string]string{}, HeldLocks: []uint64{}}}
	for i := range 2000 {
		g := goroutines.Goroutine{ID: rng.Int64() - rng.Int64(), Status: str(), WaitMinutes: rng.IntN(5) - 1, Count: rng.IntN(3)}
		if i%2 == 0 {
			g.WaitReason, g.WaitNanos, g.CreatorID = str(), rng.Int64(), -rng.Int64()
			g.System, g.Semaphore, g.Crashed, g.Thread = true, i%4 == 0, i%8 == 0, rng.IntN(1<<20)
			g.LockAddr, g.HeldLocks = rng.Uint64(), []uint64{rng.Uint64(), 0}
			g.Timer = &goroutines.Timer{PeriodNanos: int64(rng.IntN(2)) * rng.Int64()}
			cb := frame()
			g.CreatedBy = &cb
			g.Labels = map[string]string{str(): str(), str(): str(), "b": str(), "a": ""}
		}
		if i%3 != 0 {
			for range rng.IntN(5) {
				g.Frames = append(g.Frames, frame())
			}
		}
		gs = append(gs, g)
	}
	for i := range gs {
		want, err := json.MarshalIndent(&gs[i], goroutinePrefix, "  ")
		if err != nil {
			t.Fatal(err)
		}
		if got := appendGoroutineJSON(&gs[i]); string(got) != string(want) {
			t.Fatalf("goroutine %d (%+v):\n%s\nwant:\n%s", i, gs[i], got, want)
		}
	}
}

// TestGoroutineJSONFields pins the JSON fields of Goroutine, Frame and
// Timer that the appenders write: a field added to one of them must be
// added to the appenders (and here) too.
func TestGoroutineJSONFields(t *testing.T) {
	for _, c := range []struct {
		typ  reflect.Type
		tags string
	}{
		{reflect.TypeFor[goroutines.Goroutine](), "id status wait_reason,omitempty wait_minutes wait_nanos,omitempty frames created_by,omitempty creator_id,omitempty labels,omitempty system,omitempty lock_addr,omitempty held_locks,omitempty timer,omitempty semaphore,omitempty thread,omitempty crashed,omitempty count"},
		{reflect.TypeFor[goroutines.Frame](), "func file,omitempty line,omitempty inlined,omitempty"},
		{reflect.TypeFor[goroutines.Timer](), "period_nanos,omitempty"},
	} {
		var tags []string
		for f := range c.typ.Fields() {
			tags = append(tags, f.Tag.Get("json"))
		}
		if got := strings.Join(tags, " "); got != c.tags {
			t.Errorf("%s fields %q; the appenders write %q", c.typ, got, c.tags)
		}
	}
}

// FuzzJSONString: appendJSONString quotes any string as json.Marshal does.
func FuzzJSONString(f *testing.F) {
	for _, s := range jsonNasties {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("%q quoted as %s, want %s", s, got, want)
		}
	})
}
