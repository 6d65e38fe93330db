package capture

import (
	"bytes"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ErrTarget marks errors about the process to capture: it does not exist,
// is not a Go program, or could not be started.
var ErrTarget = errors.New("target")

// pollInterval is how often a process coroner did not start is checked
// for liveness; a quarter second keeps "died mid-capture" accurate to well
// under the one-second granularity of the capture window.
const pollInterval = 250 * time.Millisecond

// target is the process being captured.
type target struct {
	pid   int
	cmd   *exec.Cmd // set for --exec targets
	start time.Time
	exe   string // executable path as the kernel names it, at attach time
	cwd   string // working directory, for relative core patterns
	comm  string // /proc/PID/comm, for core pattern %e
	env   []byte // /proc/PID/environ when readable, NUL separated

	exited   chan struct{} // closed when the process has exited
	mu       sync.Mutex
	exitDesc string    // how it exited, once it has
	exitAt   time.Time // when the exit was noticed
	stderr   *lineSplitter
}

// attach checks that pid is a live Go program and starts watching it.
func attach(pid int) (*target, error) {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return nil, fmt.Errorf("%w: no process with PID %d", ErrTarget, pid)
	}
	t := &target{pid: pid, start: time.Now(), exited: make(chan struct{})}
	if err := t.inspect(); err != nil {
		return nil, err
	}
	go t.poll()
	return t, nil
}

// startExec starts argv with gctrace and crash tracebacks on and core
// dumps enabled, its stderr split into gctrace and other lines.
func startExec(argv []string, dir string, stdout io.Writer, stderr *lineSplitter) (*target, error) {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, fmt.Errorf("%w: --exec %s: %v", ErrTarget, argv[0], err)
	}
	if err := checkGo(path); err != nil {
		return nil, fmt.Errorf("%w: --exec %s: %v", ErrTarget, path, err)
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Dir = dir
	cmd.Env = targetEnv(os.Environ())
	if stdout == nil {
		stdout = io.Discard
	}
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: starting %s: %v", ErrTarget, path, err)
	}
	t := &target{pid: cmd.Process.Pid, cmd: cmd, start: time.Now(), exited: make(chan struct{}), stderr: stderr}
	enableCores(t.pid)
	go func() {
		err := cmd.Wait()
		t.markExited(describeExit(cmd.ProcessState, err))
	}()
	// A process that exits at once leaves little to inspect; the steps
	// then record what could not be captured, so an error here is not one.
	_ = t.inspect()
	return t, nil
}

// targetEnv adds gctrace=1 to GODEBUG (keeping other settings) and sets
// GOTRACEBACK=crash, so the runtime logs every GC and a fatal error or
// SIGABRT dumps all goroutines and then the core.
func targetEnv(env []string) []string {
	out := make([]string, 0, len(env)+2)
	godebug := "gctrace=1"
	for _, kv := range env {
		switch {
		case strings.HasPrefix(kv, "GODEBUG="):
			if v := strings.TrimPrefix(kv, "GODEBUG="); v != "" {
				godebug = v + ",gctrace=1"
			}
		case strings.HasPrefix(kv, "GOTRACEBACK="):
		default:
			out = append(out, kv)
		}
	}
	return append(out, "GODEBUG="+godebug, "GOTRACEBACK=crash")
}

// enableCores raises the child's core size limit to its hard limit. A
// failure only means no core on crash; the core step will say why.
func enableCores(pid int) {
	var lim unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_CORE, nil, &lim); err != nil {
		return
	}
	lim.Cur = lim.Max
	_ = unix.Prlimit(pid, unix.RLIMIT_CORE, &lim, nil)
}

// inspect reads the process's executable, cwd, comm and environment, and
// rejects programs not built by the Go toolchain.
func (t *target) inspect() error {
	proc := fmt.Sprintf("/proc/%d", t.pid)
	exe, err := os.Readlink(proc + "/exe")
	if err != nil {
		if t.gone() {
			return fmt.Errorf("%w: process %d exited", ErrTarget, t.pid)
		}
		return fmt.Errorf("%w: process %d: reading its executable: %v", ErrTarget, t.pid, err)
	}
	t.exe = strings.TrimSuffix(exe, " (deleted)")
	if t.cmd == nil {
		if err := checkGo(proc + "/exe"); err != nil {
			return fmt.Errorf("%w: process %d (%s): %v", ErrTarget, t.pid, t.exe, err)
		}
	}
	t.cwd, _ = os.Readlink(proc + "/cwd")
	if b, err := os.ReadFile(proc + "/comm"); err == nil {
		t.comm = strings.TrimSpace(string(b))
	}
	if t.cmd != nil && t.cmd.Env != nil {
		// The environment coroner gave the process, exactly; a read of
		// /proc/PID/environ once came back without it (a CI run found
		// no GOTRACEBACK in it and skipped the abort core).
		t.env = []byte(strings.Join(t.cmd.Env, "\x00"))
	} else {
		t.env, _ = os.ReadFile(proc + "/environ")
	}
	return nil
}

// checkGo reports whether path is an executable built by the Go toolchain,
// judged by the build information every Go binary since 1.13 carries.
func checkGo(path string) error {
	if _, err := buildinfo.ReadFile(path); err != nil {
		return fmt.Errorf("not a Go program (no Go build information: %v)", err)
	}
	return nil
}

// poll watches a process coroner did not start.
func (t *target) poll() {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for range tick.C {
		if !alive(t.pid) {
			t.markExited("exited")
			return
		}
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised comm, which may itself hold ')'.
	if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) {
		return b[i+2] != 'Z' && b[i+2] != 'X'
	}
	return true
}

func (t *target) markExited(desc string) {
	t.mu.Lock()
	if t.exitDesc == "" {
		t.exitDesc, t.exitAt = desc, time.Now()
		close(t.exited)
	}
	t.mu.Unlock()
}

// gone reports whether the process has exited.
func (t *target) gone() bool {
	select {
	case <-t.exited:
		return true
	default:
		return false
	}
}

// exit describes how and when (relative to attach) the process exited.
func (t *target) exit() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.exitDesc == "" {
		return ""
	}
	return fmt.Sprintf("%s %.1fs after capture start", t.exitDesc, t.exitAt.Sub(t.start).Seconds())
}

// waitExit waits up to d for the process to exit.
func (t *target) waitExit(d time.Duration) bool {
	select {
	case <-t.exited:
		return true
	case <-time.After(d):
		return false
	}
}

// stop ends an --exec target after the capture: SIGTERM, then SIGKILL.
func (t *target) stop() {
	if t.cmd == nil || t.gone() {
		return
	}
	_ = t.cmd.Process.Signal(syscall.SIGTERM)
	if !t.waitExit(exitTimeout / 4) {
		_ = t.cmd.Process.Kill()
		t.waitExit(exitTimeout)
	}
}

// envValue returns the value of key in the process environment.
func (t *target) envValue(key string) (string, bool) {
	for _, kv := range bytes.Split(t.env, []byte{0}) {
		if k, v, ok := bytes.Cut(kv, []byte{'='}); ok && string(k) == key {
			return string(v), true
		}
	}
	return "", false
}

// describeExit renders a process state as "exit status 2" or
// "killed by signal SIGABRT (core dumped)".
func describeExit(ps *os.ProcessState, err error) string {
	if ps == nil {
		return fmt.Sprintf("exited (%v)", err)
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok {
		return ps.String()
	}
	switch {
	case ws.Signaled():
		s := "killed by signal " + unix.SignalName(ws.Signal())
		if ws.CoreDump() {
			s += " (core dumped)"
		}
		return s
	default:
		return "exit status " + strconv.Itoa(ws.ExitStatus())
	}
}

// exeName is the base name of the target's executable, safe as a file name.
func (t *target) exeName() string {
	exe := t.exe
	if exe == "" && t.cmd != nil {
		exe = t.cmd.Path
	}
	n := filepath.Base(exe)
	if n == "." || n == "/" || n == "" {
		return "exe"
	}
	return n
}
