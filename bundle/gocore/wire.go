package gocore

import (
	"strconv"
	"strings"

	"github.com/coroner/coroner/bundle/goroutines"
)

// wire is the census as the child sends it: each distinct stack once, and
// per goroutine an index into the stacks. Goroutines with the same stack
// share one Frames slice after decoding, so the parent's memory grows with
// the number of distinct stacks, not with goroutines × frames.
type wire struct {
	Census  *goroutines.Census   `json:"census"`
	Stacks  [][]goroutines.Frame `json:"stacks"`
	StackOf []int                `json:"stack_of"`
}

func toWire(c *goroutines.Census) *wire {
	w := &wire{Census: c, StackOf: make([]int, len(c.Goroutines))}
	idx := map[string]int{}
	var key strings.Builder
	for i := range c.Goroutines {
		g := &c.Goroutines[i]
		key.Reset()
		for _, f := range g.Frames {
			key.WriteString(f.Func)
			key.WriteByte(0)
			key.WriteString(f.File)
			key.WriteByte(0)
			key.WriteString(strconv.Itoa(f.Line))
			if f.Inlined {
				key.WriteByte('i')
			}
			key.WriteByte(1)
		}
		k := key.String()
		j, ok := idx[k]
		if !ok {
			j = len(w.Stacks)
			idx[k] = j
			w.Stacks = append(w.Stacks, g.Frames)
		}
		w.StackOf[i] = j
		g.Frames = nil
	}
	return w
}

// fromWire restores the census, sharing stacks between goroutines.
func fromWire(w *wire) *goroutines.Census {
	c := w.Census
	if c == nil {
		return &goroutines.Census{}
	}
	for i := range c.Goroutines {
		if i < len(w.StackOf) && w.StackOf[i] >= 0 && w.StackOf[i] < len(w.Stacks) {
			c.Goroutines[i].Frames = w.Stacks[w.StackOf[i]]
		}
	}
	return c
}
