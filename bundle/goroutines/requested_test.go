package goroutines

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coroner/coroner/internal/testcore"
)

// endSrc ends the way MODE says — a panic, raising SIGABRT at itself as
// abort(3) would, or (empty) staying healthy until signalled.
const endSrc = `package main

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

func main() {
	for i := 0; i < 3; i++ {
		go func() { time.Sleep(time.Hour) }()
	}
	switch os.Getenv("MODE") {
	case "panic":
		go func() { panic("boom") }()
	case "raise":
		syscall.Tgkill(os.Getpid(), syscall.Gettid(), syscall.SIGABRT)
	}
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
`

// runToEnd runs exe with env until it dies by itself and returns its
// stderr.
func runToEnd(t *testing.T, exe string, env ...string) []byte {
	t.Helper()
	cmd := exec.Command(exe)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err == nil {
		t.Fatalf("%s %v exited cleanly", exe, env)
	}
	return errb.Bytes()
}

// TestRequestedFromHeader reads the runtime's own output for each way a
// process ends with a signal header, and tells a dump someone asked for
// from a crash by the header's sigcode.
func TestRequestedFromHeader(t *testing.T) {
	exe := testcore.Build(t, endSrc)
	signalled := func(sig syscall.Signal, env ...string) []byte {
		p := testcore.Start(t, exe, "ready", env...)
		time.Sleep(200 * time.Millisecond)
		return p.Kill(t, sig)
	}
	tty, _ := testcore.QuitFromTerminal(t, exe, "ready")
	const user = "SI_USER (0)"
	for _, c := range []struct {
		name      string
		out       []byte
		requested string // the signal, or "" for a crash
		code      string // the requested signal's code
		crash     string // the crash kind when not requested
	}{
		{"kill -ABRT under GOTRACEBACK=crash", signalled(syscall.SIGABRT, "GOTRACEBACK=crash"), "SIGABRT", user, ""},
		{"kill -QUIT under GOTRACEBACK=crash", signalled(syscall.SIGQUIT, "GOTRACEBACK=crash"), "SIGQUIT", user, ""},
		{"kill -QUIT", signalled(syscall.SIGQUIT), "SIGQUIT", user, ""},
		{"kill -ABRT", signalled(syscall.SIGABRT), "SIGABRT", user, ""},
		{"Ctrl-\\ on a terminal", tty, "SIGQUIT", "SI_KERNEL (0x80)", ""},
		{"panic under GOTRACEBACK=crash", runToEnd(t, exe, "MODE=panic", "GOTRACEBACK=crash"), "", "", "panic"},
		{"SIGABRT raised at itself", runToEnd(t, exe, "MODE=raise", "GOTRACEBACK=crash"), "", "", "signal"},
	} {
		cen, err := ParseDump(bytes.NewReader(c.out), "stderr")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		head, _, _ := strings.Cut(string(c.out), "\ngoroutine ")
		switch {
		case c.requested != "":
			if cen.Crash != nil || cen.Requested == nil || cen.Requested.Signal != c.requested || cen.Requested.Code != c.code || cen.Requested.SenderPID != -1 {
				t.Errorf("%s: crash %+v, requested %+v\n%s", c.name, cen.Crash, cen.Requested, head)
			}
		default:
			if cen.Requested != nil || cen.Crash == nil || cen.Crash.Kind != c.crash {
				t.Errorf("%s: crash %+v, requested %+v\n%s", c.name, cen.Crash, cen.Requested, head)
			}
		}
		if len(cen.Goroutines) < 4 {
			t.Errorf("%s: %d goroutines", c.name, len(cen.Goroutines))
		}
	}
}

// TestSigcode: the header prints si_code converted to uint64, so the
// negative codes processes send read as huge numbers.
func TestSigcode(t *testing.T) {
	for s, want := range map[string]int{"0": 0, "1": 1, "128": 0x80, "18446744073709551610": -6, "18446744073709551615": -1} {
		if got, ok := sigcode(s); !ok || got != want {
			t.Errorf("sigcode(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "x", "4294967290", "9223372036854775807"} {
		if got, ok := sigcode(s); ok {
			t.Errorf("sigcode(%q) = %d, want none", s, got)
		}
	}
}
