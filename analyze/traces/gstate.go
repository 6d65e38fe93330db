package traces

import "golang.org/x/exp/trace"

// trackGoroutine returns the state gs keeps for goroutine id, adding a
// zero one (added true) unless gs already tracks maxTraceGoroutines; it
// returns nil then, and the caller ignores the goroutine.
func trackGoroutine[S any](gs map[trace.GoID]*S, id trace.GoID) (s *S, added bool) {
	if s = gs[id]; s != nil {
		return s, false
	}
	if len(gs) >= maxTraceGoroutines {
		return nil, false
	}
	s = new(S)
	gs[id] = s
	return s, true
}
