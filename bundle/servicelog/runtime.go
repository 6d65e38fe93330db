package servicelog

import (
	"bytes"
	"regexp"
)

// Lines the Go runtime prints when a program crashes or is sent SIGQUIT,
// each with the source that prints it (Go 1.21–1.26 runtime). A traceback
// is a run of these lines; an application line among them ends it.
var (
	// signal_amd64.go (and its siblings) dumpregs: "rax    0x0".
	reRegister = regexp.MustCompile(`^[a-z][a-z0-9]{1,6} +0x[0-9a-f]+$`)
)

// runtimePrefixes open lines the runtime prints around a traceback.
var runtimePrefixes = [][]byte{
	[]byte("created by "),                         // traceback.go printcreatedby1
	[]byte("runtime stack:"),                      // traceback.go, system stack of the crashing M
	[]byte("runtime: "),                           // runtime diagnostics before a throw
	[]byte("[signal "),                            // panic.go printpanics / signal_unix.go sigpanic
	[]byte("PC="),                                 // signal_unix.go sighandler: "PC=0x… m=0 sigcode=…"
	[]byte("-----"),                               // signal_unix.go: separator between Ms under GOTRACEBACK=crash
	[]byte("[originating from goroutine "),        // traceback.go printAncestorTraceback
	[]byte("..."),                                 // traceback.go: "...N frames elided...", "...additional frames elided..."
	[]byte("goroutine running on other thread"),   // traceback.go, stack unavailable
	[]byte("non-Go function at pc="),              // traceback.go printCgoTraceback
	[]byte("signal arrived during cgo execution"), // signal_unix.go sighandler
	[]byte("instruction bytes:"),                  // signal_unix.go sighandler
	[]byte("Signal "),                             // signal_unix.go: signal number without a name
	[]byte("mp.gsignal stack ["),                  // signal_unix.go sigNotOnStack
	[]byte("accessed data from freed user arena"), // signal_unix.go sigpanic
	[]byte("fatal: "),                             // stubs: "fatal: morestack on g0"
}

// IsStart reports whether line opens a traceback: a panic
// (panic.go printpanics, "panic: "), a fatal error (panic.go
// fatalthrow/fatal, "fatal error: "), a fatal or SIGQUIT signal banner
// (signal_unix.go sighandler, "SIGQUIT: quit"), or a fault outside the
// heap (signal_unix.go sigpanic, "unexpected fault address 0x…").
func IsStart(line []byte) bool {
	switch {
	case bytes.HasPrefix(line, []byte("panic: ")),
		bytes.HasPrefix(line, []byte("fatal error: ")),
		bytes.HasPrefix(line, []byte("unexpected fault address ")):
		return true
	}
	return IsSignalBanner(line)
}

// IsSignalBanner matches the runtime's fatal or SIGQUIT signal banner
// (signal_unix.go sighandler): "SIGQUIT: quit", "SIGSEGV: segmentation
// violation".
func IsSignalBanner(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("SIG")) {
		return false
	}
	i := bytes.IndexByte(line, ':')
	if i < 4 || len(line) == i+1 || line[i+1] != ' ' {
		return false
	}
	for _, c := range line[3:i] {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// IsGoroutineHeader reports whether line is a goroutine's header
// (traceback.go goroutineheader): "goroutine 1 [running]:", and with
// GOTRACEBACK=system or crash "goroutine 1 gp=0x… m=0 mp=0x… [running]:".
// A crash dump holds one per goroutine, so it is matched by hand rather
// than by a regular expression.
func IsGoroutineHeader(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("goroutine "))
	if !ok {
		return false
	}
	if rest, ok = skipRun(rest, isDigit); !ok || len(rest) == 0 || rest[0] != ' ' {
		return false
	}
	rest = rest[1:]
	if r, ok := cutField(rest, "gp=0x", isHex); ok {
		if rest, ok = cutField(r, "m=", isDigitOrLower); !ok {
			return false
		}
		if r, ok := cutField(rest, "mp=0x", isHex); ok {
			rest = r
		}
	}
	// "[" wait reason "]:", the reason holding no "]".
	if len(rest) < 4 || rest[0] != '[' || !bytes.HasSuffix(rest, []byte("]:")) {
		return false
	}
	return bytes.IndexByte(rest[1:len(rest)-2], ']') < 0
}

// cutField cuts from b a field: prefix, a non-empty run of bytes that
// match is, and a space.
func cutField(b []byte, prefix string, is func(byte) bool) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(b, []byte(prefix))
	if !ok {
		return b, false
	}
	if rest, ok = skipRun(rest, is); !ok || len(rest) == 0 || rest[0] != ' ' {
		return b, false
	}
	return rest[1:], true
}

// skipRun cuts from b its leading run of bytes matching is; ok is false
// when the run is empty.
func skipRun(b []byte, is func(byte) bool) ([]byte, bool) {
	i := 0
	for i < len(b) && is(b[i]) {
		i++
	}
	return b[i:], i > 0
}

func isDigit(c byte) bool        { return '0' <= c && c <= '9' }
func isHex(c byte) bool          { return isDigit(c) || 'a' <= c && c <= 'f' }
func isDigitOrLower(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'z' }

// IsRuntimeLine reports whether line can belong to a traceback: a start,
// a goroutine header, a frame's function or file line, a register, or one
// of the runtime's other messages. Blank lines separate goroutines; file
// lines, nested panics ("\tpanic: …") and multi-line panic values
// (error.go printindented) begin with a tab.
func IsRuntimeLine(line []byte) bool {
	// Frame lines first: they are most of a traceback.
	if len(line) == 0 || line[0] == '\t' || isFuncLine(line) || IsStart(line) || IsGoroutineHeader(line) {
		return true
	}
	for _, p := range runtimePrefixes {
		if bytes.HasPrefix(line, p) {
			return true
		}
	}
	return reRegister.Match(line)
}

// isFuncLine matches a frame's function line (traceback.go traceback2,
// printFuncName + "(" args ")"): "main.(*store).put(...)",
// "net/http.(*conn).serve(0xc000…, {0x7f…, 0xc0…})", "panic({0x4af620?, 0x580280?})".
// The name holds no space; the arguments may.
func isFuncLine(line []byte) bool {
	if len(line) < 3 || line[len(line)-1] != ')' {
		return false
	}
	c := line[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80) {
		return false
	}
	open := bytes.IndexByte(line, '(')
	sp := bytes.IndexAny(line, " \t")
	return open > 0 && (sp < 0 || sp > open)
}
