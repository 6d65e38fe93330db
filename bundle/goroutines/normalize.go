package goroutines

import (
	"regexp"
	"strings"
)

var (
	// closureRe matches the compiler's closure and go-wrapper suffixes:
	// "func2", "func2.1", "gowrap1" — numbered in source order, so they
	// change when an unrelated closure is added.
	closureRe = regexp.MustCompile(`\.(func|gowrap|deferwrap)\d+(\.\d+)*`)
)

// NormalizeFunc makes a function name stable across rebuilds: closure
// numbers become "·" (main.main.func2 → main.main.func·), and generic
// instantiations become "[...]" (Map[go.shape.int] → Map[...]), as the
// runtime itself prints them.
func NormalizeFunc(fn string) string {
	fn = collapseBrackets(fn)
	return closureRe.ReplaceAllString(fn, ".${1}·")
}

// collapseBrackets replaces every top-level [...] with "[...]".
func collapseBrackets(s string) string {
	if !strings.Contains(s, "[") {
		return s
	}
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '[':
			if depth == 0 {
				b.WriteString("[...]")
			}
			depth++
		case r == ']' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Package returns the import path of a function name:
// "net/http.(*Server).Serve" → "net/http", "main.main.func1" → "main".
func Package(fn string) string {
	fn = collapseBrackets(fn)
	slash := strings.LastIndexByte(fn, '/')
	dot := strings.IndexByte(fn[slash+1:], '.')
	if dot < 0 {
		return ""
	}
	return fn[:slash+1+dot]
}

// IsRuntimeFunc reports whether fn belongs to the runtime proper: package
// runtime, internal/runtime/…, runtime/internal/…, or the builtin "panic"
// frame Go 1.26 tracebacks print in place of runtime.gopanic. Packages
// under runtime/ with their own API (runtime/pprof, runtime/trace) are not.
func IsRuntimeFunc(fn string) bool {
	if fn == "panic" || fn == "goexit" {
		return true
	}
	p := Package(fn)
	return p == "runtime" || strings.HasPrefix(p, "internal/runtime/") || strings.HasPrefix(p, "runtime/internal/")
}

// IsStdFunc reports whether fn belongs to the standard library: its import
// path's first element has no dot and it is not package main. (A module
// path without a dot is taken for the standard library.)
func IsStdFunc(fn string) bool {
	p := Package(fn)
	if p == "" || p == "main" || strings.HasPrefix(p, "main.") {
		return false
	}
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".")
}

// CrashSite returns the innermost frame outside the runtime: where the
// fault or panic happened in code the program calls.
func CrashSite(frames []Frame) *Frame {
	for i := range frames {
		if !IsRuntimeFunc(frames[i].Func) {
			f := frames[i]
			return &f
		}
	}
	return nil
}

// TopUserFrame returns the innermost frame outside the runtime and the
// standard library, or nil.
func TopUserFrame(frames []Frame) *Frame {
	for i := range frames {
		if fn := frames[i].Func; !IsRuntimeFunc(fn) && !IsStdFunc(fn) {
			f := frames[i]
			return &f
		}
	}
	return nil
}
