package goroutines

import "fmt"

// Requested describes a dump someone asked for rather than a crash: the
// process ended on a signal another process (or the terminal) sent it —
// `kill -ABRT`, `kill -QUIT`, systemd's watchdog — with no goroutine
// panicking or throwing, or it was stopped and written by a debugger
// (gcore) and never died at all. Under GOTRACEBACK=crash such a process
// still dumps core with SIGABRT, which alone is no evidence of a crash.
type Requested struct {
	// Signal is the signal the process was sent ("SIGABRT", "SIGQUIT");
	// empty for a debugger's snapshot, which no signal ended.
	Signal string `json:"signal,omitempty"`
	// Code is the signal's si_code as the kernel delivered it, by name
	// and number ("SI_USER (0)"); empty when the source does not say.
	Code string `json:"code,omitempty"`
	// SenderPID is the sending process's ID (si_pid) as the dumped
	// process saw it — 0 for a sender outside its PID namespace, such as
	// a container runtime on the host — or -1 when the source does not
	// record it (the runtime's crash header prints only the code).
	SenderPID int `json:"sender_pid"`
	// PID is the dumped process's own ID when the source records it.
	PID int `json:"pid,omitempty"`
	// Evidence says what in the source showed it, for the report.
	Evidence string `json:"evidence"`
}

// si_code values (include/uapi/asm-generic/siginfo.h): how a signal was
// generated. Non-positive codes come from a process; positive ones from
// the kernel (a fault's cause, or SI_KERNEL).
const (
	// siUser: kill(2), as kill(1), systemd and container runtimes send.
	siUser = 0
	// siQueue: sigqueue(3).
	siQueue = -1
	// siTkill: tkill(2)/tgkill(2), as raise(3), abort(3) and the Go
	// runtime's own crash (runtime.raise) send.
	siTkill = -6
	// siKernel: sent by the kernel itself; for SIGQUIT, the terminal
	// driver on Ctrl-\ (n_tty's isig → kill_pgrp with priv set).
	siKernel = 0x80
)

// CodeName renders an si_code as "SI_USER (0)", or "code N" for the
// fault-specific codes (SEGV_MAPERR, …) whose names depend on the signal.
func CodeName(code int) string {
	switch code {
	case siUser:
		return "SI_USER (0)"
	case siQueue:
		return "SI_QUEUE (-1)"
	case siTkill:
		return "SI_TKILL (-6)"
	case siKernel:
		return "SI_KERNEL (0x80)"
	}
	return fmt.Sprintf("code %d", code)
}

// SentFromOutside reports whether a signal (its Linux name) with si_code
// code was sent to the process from outside it. sender is si_pid and self
// the process's own ID, or -1 each when the source does not record them.
//
//   - kill(2) and sigqueue(3) (SI_USER, SI_QUEUE) name their sender: from
//     outside unless the sender is the process itself. Where the sender is
//     unknown (the crash header prints only the code) they count as from
//     outside: Go code aborting itself with kill is rare, while kill -ABRT
//     and kill -QUIT are how dumps of a live process are taken.
//   - tgkill(2) (SI_TKILL) is how a process raises a signal at itself —
//     the runtime's crash (runtime.raise), C's abort(3) — so it counts
//     only with a known sender other than the process.
//   - SIGQUIT from the kernel (SI_KERNEL) is the terminal's Ctrl-\.
//   - any other code is the kernel reporting a fault: a crash.
func SentFromOutside(signal string, code, sender, self int) bool {
	switch code {
	case siUser, siQueue:
		return sender < 0 || self < 0 || sender != self
	case siTkill:
		return sender >= 0 && self >= 0 && sender != self
	case siKernel:
		return signal == "SIGQUIT"
	}
	return false
}

// panicFuncs are the runtime functions a goroutine runs while it panics
// or throws (runtime/panic.go, runtime/signal_unix.go): gopanic (every
// panic, including those sigpanic raises for faults) and fatalpanic (an
// unrecovered one), throw and fatal (runtime and user-visible fatal
// errors such as "concurrent map writes") and fatalthrow, and sigpanic
// (a fault being turned into a panic).
var panicFuncs = map[string]bool{
	"runtime.gopanic": true, "runtime.fatalpanic": true,
	"runtime.throw": true, "runtime.fatal": true, "runtime.fatalthrow": true,
	"runtime.sigpanic": true,
}

// InPanic reports whether a stack is inside the runtime's panic or throw
// machinery.
func InPanic(frames []Frame) bool {
	for _, f := range frames {
		if panicFuncs[f.Func] {
			return true
		}
	}
	return false
}

// Panicking returns the first goroutine of c whose stack is inside panic
// or throw, or nil.
func (c *Census) Panicking() *Goroutine {
	var inPanic PerStack[bool]
	for i := range c.Goroutines {
		if inPanic.Of(c.Goroutines[i].Frames, InPanic) {
			return &c.Goroutines[i]
		}
	}
	return nil
}
