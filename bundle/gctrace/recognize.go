package gctrace

import (
	"bytes"
	"strconv"

	"github.com/coroner/coroner/bundle/texthead"
)

// Recognize is the sniffing row of gctrace logs: text whose non-blank
// lines all open as gctrace lines do (Opens), counted whole up to
// texthead.MaxScan; attrs give the cycles ("gc_cycles"). A service's
// stderr that mixes them with other output is a log, not this.
func Recognize(h *texthead.Head) (bool, map[string]string) {
	cycles, other := 0, false
	count := func(line []byte) bool {
		switch {
		case Opens(line):
			cycles++
		case len(bytes.TrimSpace(line)) > 0:
			other = true
		}
		return !other
	}
	for _, line := range h.Lines {
		if !count(line) {
			return false, nil
		}
	}
	if cycles == 0 {
		return false, nil
	}
	h.Rest(count)
	if other {
		return false, nil
	}
	return true, map[string]string{"gc_cycles": strconv.Itoa(cycles)}
}
