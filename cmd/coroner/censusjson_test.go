package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/internal/hostile"
)

// TestCensusJSONStreamed: the streamed census JSON is byte for byte what
// json.Encoder with two-space indentation writes, for an empty, a nil and
// a populated goroutine list, with hostile strings in every text field.
func TestCensusJSONStreamed(t *testing.T) {
	shared := []goroutines.Frame{{Func: "main.f", File: "/src/main.go", Line: 3}, {Func: "main.main", Inlined: true}}
	full := &goroutines.Census{Source: "core", Format: "core", Complete: true, Reader: "r", GoVersion: "go1.26",
		Warnings: []string{"w1", "\n  \"goroutines\": []"}, Crash: &goroutines.Crash{Kind: "panic", Message: "boom"}}
	for i, s := range hostile.Strings {
		full.Goroutines = append(full.Goroutines, goroutines.Goroutine{ID: int64(i + 1), Status: "waiting", WaitReason: s,
			WaitMinutes: -1, Frames: shared, CreatedBy: &goroutines.Frame{Func: s, File: s, Line: i},
			Labels: map[string]string{s: s}, HeldLocks: []uint64{1, 2}, Count: 1})
	}
	full.Goroutines = append(full.Goroutines, goroutines.Goroutine{ID: 99, Status: "running", Frames: []goroutines.Frame{}, Count: 1})
	many := &goroutines.Census{Source: "core", Format: "core"}
	for i := range 2*jsonChunk + 3 { // across chunks, marshalled in parallel
		many.Goroutines = append(many.Goroutines, goroutines.Goroutine{ID: int64(i), Status: "waiting", Frames: shared[i%2:], Count: 1})
	}
	cases := map[string]*goroutines.Census{
		"many":  many,
		"full":  full,
		"empty": {Source: "a", Format: "debug2", Goroutines: []goroutines.Goroutine{}},
		"nil":   {Source: "a", Format: "debug2"},
	}
	for name, c := range cases {
		var want, got bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(c); err != nil {
			t.Fatal(err)
		}
		if err := writeCensusJSON(&got, c); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s: streamed JSON differs:\n%s\nwant:\n%s", name, got.Bytes(), want.Bytes())
		}
	}
}
