package cpu

import (
	"sort"

	"github.com/coroner/coroner/analyze"
)

// Flame graph bounds: nodes below minFlameShare of the total are folded into
// their parent (a flame graph cannot show them legibly anyway: 0.1 % of a
// 1200-pixel-wide graph is about one pixel), and stacks deeper than
// maxFlameDepth are cut (Go's own traceback limit for profiles is 128 frames,
// past 64 the picture is unreadable).
const (
	minFlameShare = 0.001
	maxFlameDepth = 64
)

// buildFlame folds the samples into a call tree rooted at "all".
func buildFlame(p *Profile) *analyze.FlameNode {
	root := &analyze.FlameNode{Name: "all"}
	if p.Total == 0 {
		return root
	}
	index := map[*analyze.FlameNode]map[string]*analyze.FlameNode{}
	minValue := int64(float64(p.Total) * minFlameShare)
	for _, s := range p.Samples {
		root.Value += s.Value
		n := root
		for i, depth := len(s.Stack)-1, 0; i >= 0 && depth < maxFlameDepth; i, depth = i-1, depth+1 {
			kids := index[n]
			if kids == nil {
				kids = map[string]*analyze.FlameNode{}
				index[n] = kids
			}
			name := s.Stack[i].Func
			c := kids[name]
			if c == nil {
				c = &analyze.FlameNode{Name: name}
				kids[name] = c
				n.Children = append(n.Children, c)
			}
			c.Value += s.Value
			n = c
		}
	}
	prune(root, minValue)
	return root
}

// prune drops small children and sorts the rest by name, recursively.
func prune(n *analyze.FlameNode, minValue int64) {
	kept := n.Children[:0]
	for _, c := range n.Children {
		if c.Value >= minValue && c.Value > 0 {
			prune(c, minValue)
			kept = append(kept, c)
		}
	}
	n.Children = kept
	if len(n.Children) == 0 {
		n.Children = nil
	}
	sort.Slice(n.Children, func(i, j int) bool { return n.Children[i].Name < n.Children[j].Name })
}
