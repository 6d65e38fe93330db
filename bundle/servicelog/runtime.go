package servicelog

import (
	"bytes"
	"regexp"
)

// Lines the Go runtime prints when a program crashes or is sent SIGQUIT,
// each with the source that prints it (Go 1.21–1.26 runtime). A traceback
// is a run of these lines; an application line among them ends it.
var (
	// traceback.go goroutineheader: "goroutine 1 [running]:", and with
	// GOTRACEBACK=system or crash "goroutine 1 gp=0x… m=0 mp=0x… [running]:".
	reGoroutineHeader = regexp.MustCompile(`^goroutine [0-9]+ (?:gp=0x[0-9a-f]+ m=[0-9a-z]+ (?:mp=0x[0-9a-f]+ )?)?\[[^\]]+\]:$`)
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
	i := bytes.IndexByte(line, ':')
	if i < 4 || !bytes.HasPrefix(line, []byte("SIG")) || len(line) == i+1 || line[i+1] != ' ' {
		return false
	}
	for _, c := range line[3:i] {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// IsGoroutineHeader reports whether line is a goroutine's header.
func IsGoroutineHeader(line []byte) bool {
	return bytes.HasPrefix(line, []byte("goroutine ")) && bytes.HasSuffix(line, []byte("]:")) && reGoroutineHeader.Match(line)
}

// IsRuntimeLine reports whether line can belong to a traceback: a start,
// a goroutine header, a frame's function or file line, a register, or one
// of the runtime's other messages. Blank lines separate goroutines; file
// lines, nested panics ("\tpanic: …") and multi-line panic values
// (error.go printindented) begin with a tab.
func IsRuntimeLine(line []byte) bool {
	if len(line) == 0 || line[0] == '\t' || IsStart(line) || IsGoroutineHeader(line) {
		return true
	}
	for _, p := range runtimePrefixes {
		if bytes.HasPrefix(line, p) {
			return true
		}
	}
	return isFuncLine(line) || reRegister.Match(line)
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
