package reports

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"html"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/coroner/coroner/analyze"
)

// Flame graph geometry and pruning.
const (
	// flameWidth is the SVG's coordinate width: a laptop screen's usable
	// width at 100% zoom, so one unit is about one pixel.
	flameWidth = 1200
	// flameRow is the height of one stack level, room for 11px text.
	flameRow = 17
	// flamePad is the label's inset from its box edge.
	flamePad = 3
	// flameCharWidth is the advance of an 11px monospace glyph (0.6 em),
	// used to cut labels to their box.
	flameCharWidth = 6.6
	// flameMinWidth is the narrowest node drawn, in pixels: flamegraph.pl's
	// default --minwidth. Narrower nodes cannot be seen or pointed at.
	flameMinWidth = 0.1
	// flameMaxNodes caps the nodes drawn so the page stays well under
	// maxHTMLBytes: each node costs about 200 bytes of SVG and JSON.
	flameMaxNodes = 12000
	// flameMaxDepth caps stack depth: Linux perf keeps 127 frames by
	// default (kernel.perf_event_max_stack) and runtime/pprof at most 128,
	// so deeper trees only come from merged inlined frames or bad input.
	flameMaxDepth = 256
	// flameMaxName caps a displayed function name; longer names are cut.
	flameMaxName = 400
)

// flameLayout is the pruned, flattened flame graph: nodes in preorder,
// positions in value units from the root's left edge.
type flameLayout struct {
	Names     []string
	Nodes     []flameRec
	Total     int64
	Depth     int
	Pruned    int   // nodes left out (narrower than the minimum, past depth or budget)
	PrunedVal int64 // their value, counted at the topmost pruned node
	MinWidth  float64
}

// flameRec is one drawn node.
type flameRec struct {
	Name  int // index into Names
	Value int64
	Depth int
	X     int64
}

// layoutFlame flattens root, dropping nodes narrower than flameMinWidth
// pixels, deeper than flameMaxDepth, or beyond a budget of maxNodes (the
// widest are kept). Children are laid out by name, as flamegraph.pl does,
// so the picture does not depend on the order samples arrived in.
func layoutFlame(root *analyze.FlameNode, maxNodes int) *flameLayout {
	if root == nil || root.Value <= 0 {
		return nil
	}
	total := root.Value
	// A node is wide enough when value/total*flameWidth >= flameMinWidth.
	minValue := int64(float64(total)*flameMinWidth/flameWidth + 0.999999)
	// With a node budget, raise minValue until the kept nodes fit.
	if n := countWide(root, minValue, maxNodes+1); n > maxNodes {
		lo, hi := minValue, total
		for lo < hi {
			mid := lo + (hi-lo)/2
			if countWide(root, mid, maxNodes+1) > maxNodes {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		minValue = lo
	}
	l := &flameLayout{Total: total, MinWidth: float64(minValue) * flameWidth / float64(total)}
	names := map[string]int{}
	var walk func(nd *analyze.FlameNode, depth int, x int64, limit int64)
	walk = func(nd *analyze.FlameNode, depth int, x int64, limit int64) {
		v := min(nd.Value, limit)
		name := truncateRunes(cleanText(nd.Name), flameMaxName)
		if depth == 0 && name == "" {
			name = "all"
		}
		id, ok := names[name]
		if !ok {
			id = len(l.Names)
			names[name] = id
			l.Names = append(l.Names, name)
		}
		l.Nodes = append(l.Nodes, flameRec{Name: id, Value: v, Depth: depth, X: x})
		l.Depth = max(l.Depth, depth+1)
		cx := x
		for _, c := range sortedChildren(nd) {
			room := x + v - cx
			if room <= 0 {
				break
			}
			cv := min(c.Value, room)
			if cv < minValue || depth+1 >= flameMaxDepth {
				l.Pruned += countAll(c)
				l.PrunedVal += cv
			} else {
				walk(c, depth+1, cx, cv)
			}
			cx += cv
		}
	}
	walk(root, 0, 0, total)
	return l
}

// sortedChildren returns nd's non-nil children with positive value, by name
// and then by value, largest first.
func sortedChildren(nd *analyze.FlameNode) []*analyze.FlameNode {
	cs := make([]*analyze.FlameNode, 0, len(nd.Children))
	for _, c := range nd.Children {
		if c != nil && c.Value > 0 {
			cs = append(cs, c)
		}
	}
	slices.SortStableFunc(cs, func(a, b *analyze.FlameNode) int {
		if c := cmp.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return cmp.Compare(b.Value, a.Value)
	})
	return cs
}

// countWide counts nodes at least minValue wide within the depth cap,
// stopping once stop is reached.
func countWide(root *analyze.FlameNode, minValue int64, stop int) int {
	n := 0
	var walk func(nd *analyze.FlameNode, depth int)
	walk = func(nd *analyze.FlameNode, depth int) {
		if n >= stop {
			return
		}
		n++
		if depth+1 >= flameMaxDepth {
			return
		}
		for _, c := range nd.Children {
			if c != nil && c.Value >= minValue && c.Value > 0 {
				walk(c, depth+1)
			}
		}
	}
	walk(root, 0)
	return n
}

// countAll counts the nodes of a subtree, up to maxFlameWalk.
func countAll(nd *analyze.FlameNode) int {
	n := 0
	var walk func(nd *analyze.FlameNode)
	walk = func(nd *analyze.FlameNode) {
		if nd == nil || n >= maxFlameWalk {
			return
		}
		n++
		for _, c := range nd.Children {
			walk(c)
		}
	}
	walk(nd)
	return n
}

// svg writes the flame graph as inline SVG, root at the top.
func (l *flameLayout) svg(b *strings.Builder) {
	h := l.Depth * flameRow
	fmt.Fprintf(b, `<svg id="flame-svg" class="flame" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="CPU flame graph">`,
		flameWidth, h, flameWidth, h)
	b.WriteByte('\n')
	scale := float64(flameWidth) / float64(l.Total)
	for i, n := range l.Nodes {
		x := float64(n.X) * scale
		w := float64(n.Value) * scale
		y := n.Depth * flameRow
		name := l.Names[n.Name]
		fmt.Fprintf(b, `<g data-i="%d"><rect x="%s" y="%d" width="%s" height="%d" fill="%s"/>`,
			i, fnum(x), y, fnum(w), flameRow-1, flameColor(name))
		if lab := fitLabel(name, w); lab != "" {
			fmt.Fprintf(b, `<text x="%s" y="%d">%s</text>`, fnum(x+flamePad), y+flameRow-5, html.EscapeString(lab))
		}
		b.WriteString("</g>\n")
	}
	b.WriteString("</svg>\n")
}

// fitLabel cuts name to the characters that fit in a box w pixels wide.
func fitLabel(name string, w float64) string {
	k := int((w - 2*flamePad) / flameCharWidth)
	if k < 3 {
		return ""
	}
	return truncateRunes(name, k)
}

func fnum(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// flameColor picks a stable color from the frame's name: cool blues for
// the Go runtime, greens for kernel frames (perf marks them "[k]"), warm
// reds and yellows for everything else, varied by a hash of the name.
func flameColor(name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	v := float64(h.Sum32()%1000) / 1000
	switch {
	case strings.HasPrefix(name, "runtime.") || strings.HasPrefix(name, "runtime/"):
		return hsl(195+25*v, 0.55, 0.70)
	case strings.HasSuffix(name, "[k]") || strings.HasSuffix(name, "_[k]"):
		return hsl(95+35*v, 0.45, 0.62)
	}
	return hsl(5+50*v, 0.80, 0.62)
}

// hsl converts a color to #rrggbb.
func hsl(h, s, l float64) string {
	c := (1 - math.Abs(2*l-1)) * s
	hp := h / 60
	x := c * (1 - math.Abs(math.Mod(hp, 2)-1))
	var r, g, b float64
	switch {
	case hp < 1:
		r, g = c, x
	case hp < 2:
		r, g = x, c
	case hp < 3:
		g, b = c, x
	case hp < 4:
		g, b = x, c
	case hp < 5:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := l - c/2
	to := func(v float64) int { return int((v+m)*255 + 0.5) }
	return fmt.Sprintf("#%02x%02x%02x", to(r), to(g), to(b))
}
