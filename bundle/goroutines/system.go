package goroutines

import "strings"

// IsSystem reports whether g is a runtime-internal goroutine, following
// the runtime's isSystemGoroutine: a goroutine is a system one when its
// entry function (the outermost frame below runtime.goexit) is in package
// runtime — except runtime.main, and the finalizer and cleanup goroutines
// while they run user code. Goroutine 0 (a thread's g0 in crash dumps) is
// always one. When the stack was elided, the creator decides.
func IsSystem(g *Goroutine) bool {
	if g.ID == 0 {
		return true
	}
	entry := entryFunc(g.Frames)
	if entry == "" {
		return g.CreatedBy != nil && strings.HasPrefix(g.CreatedBy.Func, "runtime.") && len(g.Frames) == 0
	}
	return IsSystemEntry(entry, g.Frames)
}

// IsSystemEntry applies the rule to a known entry function and stack.
func IsSystemEntry(entry string, frames []Frame) bool {
	switch entry {
	case "runtime.main":
		return false
	case "runtime.runfinq", "runtime.runFinalizers", "runtime.runCleanups", "runtime.(*cleanupQueue).run":
		// The runtime counts these as user goroutines only while they run a
		// finalizer or cleanup: visible as a frame outside the runtime.
		for _, f := range frames {
			if !IsRuntimeFunc(f.Func) {
				return false
			}
		}
		return true
	}
	return strings.HasPrefix(entry, "runtime.")
}

// entryFunc returns the outermost frame's function, skipping goexit.
func entryFunc(frames []Frame) string {
	for i := len(frames) - 1; i >= 0; i-- {
		fn := frames[i].Func
		if fn == "runtime.goexit" || fn == "goexit" {
			continue
		}
		return fn
	}
	return ""
}
