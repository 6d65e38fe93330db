package gocore

import (
	"strconv"
	"strings"

	"github.com/coroner/coroner/bundle/goroutines"
)

// wire is the census as the child sends it: each distinct stack and each
// distinct creator frame once, and per goroutine an index into each.
// Goroutines with the same stack share one Frames slice after decoding
// (and the same creator one Frame), so the parent's memory grows with the
// number of distinct stacks, not with goroutines × frames.
type wire struct {
	Census  *goroutines.Census   `json:"census"`
	Stacks  [][]goroutines.Frame `json:"stacks"`
	StackOf []int                `json:"stack_of"`
	// Creators are the distinct CreatedBy frames; CreatorOf[i] is
	// goroutine i's, -1 for none.
	Creators  []goroutines.Frame `json:"creators"`
	CreatorOf []int              `json:"creator_of"`
}

// stackIdentity names a stack slice by its backing array and length: the
// census reader shares one slice between goroutines with the same stack
// (stackInterner), so most lookups need not compare frames.
type stackIdentity struct {
	first *goroutines.Frame
	n     int
}

func toWire(c *goroutines.Census) *wire {
	w := &wire{Census: c, StackOf: make([]int, len(c.Goroutines)), CreatorOf: make([]int, len(c.Goroutines))}
	byIdentity := map[stackIdentity]int{}
	byContent := map[string]int{}
	creators := map[goroutines.Frame]int{}
	for i := range c.Goroutines {
		g := &c.Goroutines[i]
		var id stackIdentity
		if len(g.Frames) > 0 {
			id = stackIdentity{&g.Frames[0], len(g.Frames)}
		}
		j, ok := byIdentity[id]
		if !ok {
			k := stackKey(g.Frames)
			if j, ok = byContent[k]; !ok {
				j = len(w.Stacks)
				byContent[k] = j
				w.Stacks = append(w.Stacks, g.Frames)
			}
			if id.first != nil {
				byIdentity[id] = j
			}
		}
		w.StackOf[i] = j
		g.Frames = nil
		w.CreatorOf[i] = -1
		if g.CreatedBy != nil {
			k, ok := creators[*g.CreatedBy]
			if !ok {
				k = len(w.Creators)
				creators[*g.CreatedBy] = k
				w.Creators = append(w.Creators, *g.CreatedBy)
			}
			w.CreatorOf[i] = k
			g.CreatedBy = nil
		}
	}
	return w
}

// stackKey spells frames out, for comparing stacks by content.
func stackKey(frames []goroutines.Frame) string {
	var key strings.Builder
	for _, f := range frames {
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
	return key.String()
}

// fromWire restores the census, sharing stacks and creator frames between
// goroutines.
func fromWire(w *wire) *goroutines.Census {
	c := w.Census
	if c == nil {
		return &goroutines.Census{}
	}
	creators := make([]*goroutines.Frame, len(w.Creators))
	for k := range w.Creators {
		creators[k] = &w.Creators[k]
	}
	for i := range c.Goroutines {
		g := &c.Goroutines[i]
		if i < len(w.StackOf) && w.StackOf[i] >= 0 && w.StackOf[i] < len(w.Stacks) {
			g.Frames = w.Stacks[w.StackOf[i]]
		}
		if i < len(w.CreatorOf) && w.CreatorOf[i] >= 0 && w.CreatorOf[i] < len(creators) {
			g.CreatedBy = creators[w.CreatorOf[i]]
		}
	}
	return c
}
