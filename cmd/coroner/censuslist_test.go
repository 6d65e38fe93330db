package main

import (
	"bytes"
	"testing"

	"github.com/olekukonko/tablewriter"

	"github.com/coroner/coroner/bundle/goroutines"
	"github.com/coroner/coroner/internal/hostile"
)

// TestGoroutineListing: the listing written row by row is the table
// tablewriter draws from the same rows held whole, with hostile strings,
// wide characters and an aggregated entry among them.
func TestGoroutineListing(t *testing.T) {
	c := &goroutines.Census{}
	texts := append([]string{"世界の関数", "naïve", "×"}, hostile.Strings...)
	for i, s := range texts {
		c.Goroutines = append(c.Goroutines, goroutines.Goroutine{ID: int64(len(texts) - i), Status: "waiting", WaitReason: s,
			WaitMinutes: i, Frames: []goroutines.Frame{{Func: "main." + s, File: "/src/" + s + ".go", Line: i}},
			CreatedBy: &goroutines.Frame{Func: s}, Labels: map[string]string{"k": s}, System: i%3 == 0, Crashed: i == 1, Count: 1})
	}
	c.Goroutines = append(c.Goroutines, goroutines.Goroutine{ID: -1, Status: "runnable", WaitMinutes: -1, Count: 7})
	var got, want bytes.Buffer
	if err := printGoroutines(&got, c); err != nil {
		t.Fatal(err)
	}
	tbl := tablewriter.NewTable(&want)
	tbl.Header(goroutineHeader)
	for _, x := range []int{len(c.Goroutines) - 1} {
		tbl.Append(goroutineRow(&c.Goroutines[x]))
	}
	for i := len(texts) - 1; i >= 0; i-- { // IDs ascend as the index falls
		if err := tbl.Append(goroutineRow(&c.Goroutines[i])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tbl.Render(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("listing differs from tablewriter's:\n%s\nwant:\n%s", got.Bytes(), want.Bytes())
	}
}
