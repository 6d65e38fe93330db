package traces

import "golang.org/x/exp/trace"

// goroutineTransition returns e's state transition when e is a
// goroutine's change of state (or a report of it); ok is false for any
// other event.
func goroutineTransition(e *trace.Event) (st trace.StateTransition, ok bool) {
	if e.Kind() != trace.EventStateTransition {
		return st, false
	}
	st = e.StateTransition()
	return st, st.Resource.Kind == trace.ResourceGoroutine
}

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
