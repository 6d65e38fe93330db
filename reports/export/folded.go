package export

import (
	"bufio"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/coroner/coroner/analyze/cpu"
)

// Folded writes the merged CPU profile as folded stacks, the input of
// FlameGraph's flamegraph.pl: one line per distinct stack, its frames from
// the outermost to the innermost joined by ";", a space and its CPU time
// in nanoseconds. Lines are sorted, so the same profile gives the same
// bytes. Function names are made safe by foldedFrame.
func Folded(w io.Writer, p *cpu.Profile) error {
	sums := map[string]int64{}
	var frames []string
	for _, s := range p.Samples {
		frames = frames[:0]
		for i := len(s.Stack) - 1; i >= 0; i-- {
			frames = append(frames, foldedFrame(s.Stack[i].Func))
		}
		if len(frames) == 0 {
			frames = append(frames, unknownFrame)
		}
		sums[strings.Join(frames, ";")] += s.Value
	}
	keys := make([]string, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	bw := bufio.NewWriter(w)
	for _, k := range keys {
		bw.WriteString(k)
		bw.WriteByte(' ')
		bw.WriteString(strconv.FormatInt(sums[k], 10))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
