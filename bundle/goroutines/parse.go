package goroutines

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// ParseDump reads a goroutine dump in any form the runtime writes — crash
// output (GOTRACEBACK=single|all|system|crash), SIGQUIT output, pprof
// goroutine?debug=2, debug=1, or the binary goroutine profile — and
// returns its census. name labels errors and the census's Source.
func ParseDump(r io.Reader, name string) (*Census, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(4 << 10)
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b, len(head) > 0 && !isText(head):
		return ParseProfile(br, name)
	case bytes.HasPrefix(bytes.TrimLeft(head, " \r\n"), []byte("goroutine profile: total ")):
		return parseDebug1(br, name)
	case bytes.Contains(head, []byte("goroutine ")):
		c, err := parseTraceback(newTransientBlockLines(br), name)
		if err != nil {
			return nil, err
		}
		if len(c.Goroutines) == 0 && c.Crash == nil {
			return nil, fmt.Errorf("%s: no goroutine headers found: not a goroutine dump", name)
		}
		return c, nil
	}
	return nil, fmt.Errorf("%s: not a goroutine dump (no \"goroutine N [state]:\" header in the first %d bytes)", name, len(head))
}

// isText reports whether b looks like UTF-8/ASCII text rather than a
// protobuf: no NUL bytes and few control characters.
func isText(b []byte) bool {
	ctl := 0
	for _, c := range b {
		if c == 0 {
			return false
		}
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			ctl++
		}
	}
	return ctl*100 < len(b)
}
