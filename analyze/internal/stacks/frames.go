// Package stacks classifies the frames of Go call stacks by how the Go
// runtime and the kernel work: user code versus the standard library, and
// the runtime's function families (GC, scheduler and netpoll, timers,
// runtime locks, sync.Pool internals, system calls). Every rule keys on
// runtime and standard-library function names, never on application code.
package stacks

import (
	"strings"

	"github.com/coroner/coroner/bundle/goroutines"
)

// Frame is one function activation, innermost first in a stack.
type Frame struct {
	Func string
	File string
	Line int
	// Kernel marks frames that ran in the kernel (from perf samples).
	Kernel bool
}

// FromGoroutine converts a goroutine census's stack (innermost first).
func FromGoroutine(fs []goroutines.Frame) []Frame {
	st := make([]Frame, len(fs))
	for i, f := range fs {
		st[i] = Frame{Func: f.Func, File: f.File, Line: f.Line}
	}
	return st
}

// IsUser reports whether fn is application code: a Go function whose
// package is main or lives outside the standard library (its first path
// element has a dot, as every module path outside the standard library
// must). Kernel frames, C symbols and the runtime are not user code.
func IsUser(f Frame) bool {
	if f.Kernel {
		return false
	}
	pkg := goroutines.Package(f.Func)
	if pkg == "" {
		return false
	}
	if pkg == "main" {
		return true
	}
	first, _, _ := strings.Cut(pkg, "/")
	if !strings.Contains(first, ".") {
		return false
	}
	// The standard library's vendored copies look like module paths.
	return !strings.HasPrefix(pkg, "vendor/") && !strings.HasPrefix(f.Func, "type:")
}

// FirstUser returns the index of the innermost user frame at or after
// index from, or -1.
func FirstUser(stack []Frame, from int) int {
	for i := max(0, from); i < len(stack); i++ {
		if IsUser(stack[i]) {
			return i
		}
	}
	return -1
}

// hasPrefixAny reports whether s starts with one of ps.
func hasPrefixAny(s string, ps ...string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// Any reports whether some frame of stack satisfies pred, and the first
// such index.
func Any(stack []Frame, pred func(Frame) bool) (int, bool) {
	for i, f := range stack {
		if pred(f) {
			return i, true
		}
	}
	return -1, false
}
