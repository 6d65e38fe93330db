package goroutines

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// parseDebug1 reads pprof goroutine?debug=1 output: a "goroutine profile:
// total N" line, then records "COUNT @ PC PC …" followed by "# labels: {…}"
// and "#\tPC\tfunc+off\tfile:line" lines. Records carry no state, so every
// goroutine's Status is "unknown".
func parseDebug1(r io.Reader, name string) (*Census, error) {
	c := &Census{Source: name, Format: "debug1", Complete: true}
	in := newInterner()
	lines := newBlockLines(r)
	var cur *Goroutine
	total, lineNo := -1, 0
	flush := func() {
		if cur != nil {
			cur.System = IsSystem(cur)
			c.Goroutines = append(c.Goroutines, *cur)
			cur = nil
		}
	}
	for {
		line, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", name, lineNo+1, err)
		}
		lineNo++
		switch {
		case strings.HasPrefix(line, "goroutine profile: total "):
			n, err := strconv.Atoi(strings.TrimPrefix(line, "goroutine profile: total "))
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%s: line %d: bad total %q", name, lineNo, line)
			}
			total = n
		case strings.HasPrefix(line, "# labels: "):
			if cur != nil {
				var l map[string]string
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "# labels: ")), &l) == nil {
					cur.Labels = l
				}
			}
		case strings.HasPrefix(line, "#\t"):
			if cur != nil {
				cur.Frames = append(cur.Frames, debug1Frame(in, line[2:]))
			}
		case strings.Contains(line, " @ "):
			flush()
			n, err := strconv.Atoi(line[:strings.Index(line, " @ ")])
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("%s: line %d: bad record count in %q", name, lineNo, line)
			}
			cur = &Goroutine{ID: -1, Status: "unknown", WaitMinutes: -1, Count: n}
		case line == "":
			flush()
		}
	}
	flush()
	if total < 0 {
		return nil, fmt.Errorf("%s: no \"goroutine profile: total N\" line: not a debug=1 goroutine profile", name)
	}
	if got := c.Total(); got != total || !lines.lastNL {
		c.Complete = false
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s: records hold %d goroutines but the header says %d: output was cut", name, got, total))
	}
	return c, nil
}

// debug1Frame reads "0x4dc5ce\tmain.main.func1+0xe\t\t/src/main.go:17".
func debug1Frame(in *interner, s string) Frame {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == '\t' })
	var f Frame
	if len(fields) >= 2 {
		fn := fields[1]
		if i := strings.LastIndex(fn, "+0x"); i > 0 {
			fn = fn[:i]
		}
		f.Func = in.s(fn)
	}
	if len(fields) >= 3 {
		file, line := splitFileLine(fields[2])
		f.File, f.Line = in.s(file), line
	}
	return f
}
