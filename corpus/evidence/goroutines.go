package evidence

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Goroutines counts goroutines by wait state in a debug=2 or crash dump.
type Goroutines struct {
	Total   int
	ByState map[string]int
	// Panic is the "panic: …" line of a crash dump, if any.
	Panic string
	// Running counts goroutines in state "running" (the panicking one in
	// a crash dump).
	Running int
	// IDs lists goroutine IDs by wait state.
	IDs map[string][]uint64
}

// goroutineHeader matches "goroutine 12 [chan send, 3 minutes]:" and the
// crash form "goroutine 12 gp=0x… m=… [running]:".
var goroutineHeader = regexp.MustCompile(`^goroutine (\d+)(?: [^\[]*)?\[([^\],]+)`)

// maxDumpLine bounds one dump line; frames with huge arguments stay well
// under this.
const maxDumpLine = 1 << 20

// ParseGoroutines reads a goroutine dump.
func ParseGoroutines(r io.Reader) (Goroutines, error) {
	g := Goroutines{ByState: map[string]int{}, IDs: map[string][]uint64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxDumpLine)
	for sc.Scan() {
		line := sc.Text()
		if g.Panic == "" && strings.HasPrefix(line, "panic: ") {
			g.Panic = strings.TrimPrefix(line, "panic: ")
			continue
		}
		m := goroutineHeader.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		g.Total++
		state := m[2]
		g.ByState[state]++
		if id, err := strconv.ParseUint(m[1], 10, 64); err == nil {
			g.IDs[state] = append(g.IDs[state], id)
		}
		if state == "running" {
			g.Running++
		}
	}
	if err := sc.Err(); err != nil {
		return g, fmt.Errorf("goroutine dump: %w", err)
	}
	return g, nil
}
