// Package gctrace parses the lines the Go runtime prints to stderr under
// GODEBUG=gctrace=1, one per garbage-collection cycle:
//
//	gc 7 @0.811s 4%: 0.030+1.2+0.015 ms clock, 0.12+0.40/1.1/2.3+0.061 ms cpu, 4->4->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 4 P
//
// The fields are the cycle number, the time since program start, the share
// of CPU spent in GC since start, the wall-clock durations of sweep
// termination (stop-the-world), concurrent mark, and mark termination
// (stop-the-world), the CPU times of sweep termination, mark assists,
// background and idle marking, and mark termination, the heap size at start,
// end and live after marking, the heap goal, stack and global scan sizes, and
// the number of Ps. "(forced)" marks a cycle a caller asked for:
// runtime.GC, or debug.FreeOSMemory which calls it (mgc.go sets
// work.userForced for gcTriggerCycle only; the periodic collection sysmon
// starts after two idle minutes is a gcTriggerTime cycle and is not marked).
// Go 1.26 may print "(checking for goroutine leaks)" after the CPU share.
// Lines may carry a prefix (a logger's timestamp); other lines are skipped.
//
// A per-kind reader: it imports no other coroner package.
package gctrace

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Cycle is one parsed gctrace line.
type Cycle struct {
	N int
	// At is the time since program start.
	At time.Duration
	// CPUPercent is the GC's share of available CPU since program start.
	CPUPercent float64
	// Wall-clock phase durations; SweepTerm and MarkTerm stop the world.
	SweepTerm, Mark, MarkTerm time.Duration
	// CPU time per phase, summed over all Ps.
	CPUSweepTerm, CPUAssist, CPUBackground, CPUIdle, CPUMarkTerm time.Duration
	// Heap sizes in MB: at GC start, at GC end, live after marking; goal.
	HeapStart, HeapEnd, HeapLive, HeapGoal float64
	// Stacks and Globals are the scannable stack and global sizes in MB (Go
	// 1.18+; zero before).
	Stacks, Globals float64
	Procs           int
	Forced          bool
	// Line is the 1-based line number in the input.
	Line int
}

// Pause is the cycle's stop-the-world time: sweep termination plus mark
// termination.
func (c Cycle) Pause() time.Duration { return c.SweepTerm + c.MarkTerm }

// CPU is the cycle's total GC CPU time.
func (c Cycle) CPU() time.Duration {
	return c.CPUSweepTerm + c.CPUAssist + c.CPUBackground + c.CPUIdle + c.CPUMarkTerm
}

// BusyCPU is the cycle's GC CPU time without idle marking, which only runs
// on Ps that had nothing else to do: the part the program paid for, as the
// runtime's own GC CPU share (gc_cpu_fraction) counts it.
func (c Cycle) BusyCPU() time.Duration { return c.CPU() - c.CPUIdle }

// Clock is the cycle's wall-clock time from sweep termination to the end
// of mark termination.
func (c Cycle) Clock() time.Duration { return c.SweepTerm + c.Mark + c.MarkTerm }

// MaxLine bounds one line: a gctrace line is about 150 bytes; longer lines
// are something else, and a Reader gives up on the rest of its input at
// the first (Truncated).
const MaxLine = 64 << 10

var lineRE = regexp.MustCompile(`gc (\d+) @([0-9.]+)s (\d+)%(?: \([a-z ]+\))?: ([0-9.]+)\+([0-9.]+)\+([0-9.]+) ms clock, ` +
	`([0-9.]+)\+([0-9.]+)/([0-9.]+)/([0-9.]+)\+([0-9.]+) ms cpu, ([0-9.]+)->([0-9.]+)->([0-9.]+) MB, ([0-9.]+) MB goal,` +
	`(?: ([0-9.]+) MB stacks, ([0-9.]+) MB globals,)? (\d+) P( \(forced\))?`)

// Reader reads cycles from gctrace output one at a time.
type Reader struct {
	name    string
	sc      *bufio.Scanner
	line    int
	skipped int
	long    int
}

// NewReader reads the log in r; name labels errors.
func NewReader(r io.Reader, name string) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLine)
	return &Reader{name: name, sc: sc}
}

// Next returns the next cycle, or io.EOF after the last one.
func (r *Reader) Next() (Cycle, error) {
	for {
		if !r.sc.Scan() {
			err := r.sc.Err()
			if errors.Is(err, bufio.ErrTooLong) {
				// Skip the rest of an overlong line and go on.
				r.long++
				r.sc = resume(r.sc)
				continue
			}
			if err != nil {
				return Cycle{}, fmt.Errorf("%s: line %d: %w", r.name, r.line+1, err)
			}
			return Cycle{}, io.EOF
		}
		r.line++
		b := r.sc.Bytes()
		if !Mentions(b) {
			// Most lines of a service log are not gctrace lines: they are
			// skipped without being copied.
			r.skipped++
			continue
		}
		c, ok := parse(string(b))
		if !ok {
			r.skipped++
			continue
		}
		c.Line = r.line
		return c, nil
	}
}

// resume is called after bufio.ErrTooLong: the scanner cannot continue, so
// the reader gives up on the rest of the input rather than misparse it.
func resume(*bufio.Scanner) *bufio.Scanner {
	return bufio.NewScanner(strings.NewReader(""))
}

// Skipped is the number of lines that were not gctrace lines.
func (r *Reader) Skipped() int { return r.skipped }

// Truncated reports whether reading stopped at an overlong line.
func (r *Reader) Truncated() bool { return r.long > 0 }

// Parse parses one gctrace line.
func Parse(line string) (Cycle, error) {
	c, ok := parse(line)
	if !ok {
		return Cycle{}, fmt.Errorf("not a gctrace line: %q", clip(line))
	}
	return c, nil
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

func parse(line string) (Cycle, bool) {
	m := lineRE.FindStringSubmatch(line)
	if m == nil {
		return Cycle{}, false
	}
	var c Cycle
	var err error
	num := func(s string) float64 {
		if s == "" || err != nil {
			return 0
		}
		v, e := strconv.ParseFloat(s, 64)
		if e != nil {
			err = e
		}
		return v
	}
	ms := func(s string) time.Duration { return time.Duration(num(s) * float64(time.Millisecond)) }
	n, e1 := strconv.Atoi(m[1])
	p, e2 := strconv.Atoi(m[18])
	if e1 != nil || e2 != nil {
		return Cycle{}, false
	}
	c.N, c.Procs = n, p
	c.At = time.Duration(num(m[2]) * float64(time.Second))
	c.CPUPercent = num(m[3])
	c.SweepTerm, c.Mark, c.MarkTerm = ms(m[4]), ms(m[5]), ms(m[6])
	c.CPUSweepTerm, c.CPUAssist, c.CPUBackground, c.CPUIdle, c.CPUMarkTerm = ms(m[7]), ms(m[8]), ms(m[9]), ms(m[10]), ms(m[11])
	c.HeapStart, c.HeapEnd, c.HeapLive, c.HeapGoal = num(m[12]), num(m[13]), num(m[14]), num(m[15])
	c.Stacks, c.Globals = num(m[16]), num(m[17])
	c.Forced = m[19] != ""
	if err != nil {
		return Cycle{}, false
	}
	return c, true
}

// opening is how runtime/mgc.go gcMarkTermination starts every gctrace
// line since Go 1.5: "gc 12 @3.456s 2%: ".
var opening = regexp.MustCompile(`^gc [0-9]+ @[0-9.]+s [0-9]+%(?: \([a-z ]+\))?: `)

// Opens reports whether line starts as a gctrace line does, whether or
// not the rest parses: a file of such lines is gctrace output even from a
// Go version that prints more or fewer figures than Parse knows.
func Opens(line []byte) bool { return opening.Match(line) }

// Mentions reports whether text holds "gc ", as every gctrace line does:
// a line that does not is skipped without being parsed.
func Mentions(text []byte) bool { return bytes.Contains(text, []byte("gc ")) }

// IsLine reports whether text holds a gctrace line, after any prefix a
// log adds (a timestamp, a container runtime's stream tag).
func IsLine(text []byte) bool {
	i := bytes.Index(text, []byte("gc "))
	if i < 0 || i+3 >= len(text) || text[i+3] < '0' || text[i+3] > '9' {
		return false
	}
	_, err := Parse(string(text))
	return err == nil
}
