package evidence

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/exp/trace"
)

// Ran lists the goroutines an execution trace saw running, and how long
// the trace lasted. A goroutine blocked for the whole trace is absent.
type Ran struct {
	IDs  map[uint64]bool
	Span time.Duration
}

// ParseTrace reads an execution trace. A trace cut short (the target died
// mid-capture) yields what was read before the cut.
func ParseTrace(r io.Reader) (Ran, error) {
	ran := Ran{IDs: map[uint64]bool{}}
	tr, err := trace.NewReader(bufio.NewReader(r))
	if err != nil {
		return ran, fmt.Errorf("trace: %w", err)
	}
	var first, last trace.Time
	for n := 0; ; n++ {
		ev, err := tr.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if n > 0 {
				break
			}
			return ran, fmt.Errorf("trace: %w", err)
		}
		if n == 0 {
			first = ev.Time()
		}
		last = ev.Time()
		if ev.Kind() != trace.EventStateTransition {
			continue
		}
		st := ev.StateTransition()
		if st.Resource.Kind != trace.ResourceGoroutine {
			continue
		}
		if _, to := st.Goroutine(); to == trace.GoRunning {
			ran.IDs[uint64(st.Resource.Goroutine())] = true
		}
	}
	ran.Span = last.Sub(first)
	return ran, nil
}
