// Package testcore builds small Go programs and makes real core dumps from
// them at test time: a crash under GOTRACEBACK=crash with the core limit
// raised, or a gcore snapshot of a live process. Tests that need a core use
// it instead of checked-in binaries, so the cores always come from the Go
// toolchain and kernel in use.
package testcore

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Build writes src as main.go of a fresh module in a temp dir and builds it
// with the given extra go build flags; it returns the executable's path.
func Build(t testing.TB, src string, flags ...string) string {
	t.Helper()
	return BuildIn(t, t.TempDir(), src, flags...)
}

// BuildIn is Build into a fresh subdirectory of parent, for callers that
// share one program across tests.
func BuildIn(t testing.TB, parent, src string, flags ...string) string {
	t.Helper()
	dir, err := os.MkdirTemp(parent, "build")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module scenario\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "scenario")
	args := append([]string{"build", "-o", exe}, flags...)
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}

// CheckCoreDumps skips the test when the kernel would not write a core
// into the crashing process's working directory.
func CheckCoreDumps(t testing.TB) {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/kernel/core_pattern")
	if err != nil {
		t.Skipf("cannot read core_pattern: %v", err)
	}
	if p := strings.TrimSpace(string(b)); strings.HasPrefix(p, "|") || strings.HasPrefix(p, "/") {
		t.Skipf("kernel.core_pattern is %q: cores do not land in the working directory", p)
	}
}

// Crash runs exe (which must crash) under GOTRACEBACK=crash with the core
// size limit raised, and returns the core's path and the runtime's stderr
// (the goroutine dump printed just before the core was written).
func Crash(t testing.TB, exe string, env ...string) (core string, stderr []byte) {
	t.Helper()
	return CrashIn(t, t.TempDir(), exe, env...)
}

// CrashIn is Crash with the core written into a fresh subdirectory of parent.
func CrashIn(t testing.TB, parent, exe string, env ...string) (core string, stderr []byte) {
	t.Helper()
	CheckCoreDumps(t)
	dir, err := os.MkdirTemp(parent, "crash")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", `ulimit -c unlimited && exec "$0"`, exe)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOTRACEBACK=crash"), env...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err == nil {
		t.Fatalf("%s exited cleanly; it was meant to crash", exe)
	}
	core = findCore(t, dir)
	return core, errb.Bytes()
}

func findCore(t testing.TB, dir string) string {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name() == "core" || strings.HasPrefix(e.Name(), "core.") {
			return filepath.Join(dir, e.Name())
		}
	}
	t.Skipf("no core file written in %s (core dumps disabled?)", dir)
	return ""
}

// Process is a live program started by Start.
type Process struct {
	Cmd    *exec.Cmd
	Stdout *bufio.Reader
	stderr *bytes.Buffer
	// exited is closed once the one goroutine that waits for the process
	// (exec.Cmd.Wait may not be called twice, even concurrently) has seen
	// it exit; nil until that goroutine starts.
	exited chan struct{}
}

// exitTimeout bounds the wait for a signalled process to exit: the
// runtime writes its dump a line at a time, and a SIGQUIT dump of 4000
// goroutines 100 frames deep (42 MB) took 60 s on a loaded 2-core machine.
const exitTimeout = 2 * time.Minute

// waitInBackground starts the goroutine that waits for the process.
func (p *Process) waitInBackground() {
	p.exited = make(chan struct{})
	go func() { _ = p.Cmd.Wait(); close(p.exited) }()
}

// stop kills the process and waits for it, at the end of a test.
func (p *Process) stop() {
	_ = p.Cmd.Process.Kill()
	if p.exited == nil {
		_ = p.Cmd.Wait()
		return
	}
	select {
	case <-p.exited:
	case <-time.After(exitTimeout):
	}
}

// Start runs exe and waits until it prints a line equal to ready on stdout.
func Start(t testing.TB, exe, ready string, env ...string) *Process {
	t.Helper()
	return start(t, exec.Command(exe), ready, env...)
}

// StartArgs is Start with command-line arguments instead of environment.
func StartArgs(t testing.TB, exe, ready string, args ...string) *Process {
	t.Helper()
	return start(t, exec.Command(exe, args...), ready)
}

func start(t testing.TB, cmd *exec.Cmd, ready string, env ...string) *Process {
	t.Helper()
	exe := cmd.Path
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{Cmd: cmd, Stdout: bufio.NewReader(out), stderr: &errb}
	t.Cleanup(p.stop)
	for {
		line, err := p.Stdout.ReadString('\n')
		if err != nil {
			t.Fatalf("%s ended before printing %q: %v\n%s", exe, ready, err, errb.String())
		}
		if strings.TrimSpace(line) == ready {
			// Only now: Wait closes the stdout pipe once the process exits.
			p.waitInBackground()
			return p
		}
	}
}

// StartCoreDumping is Start with the core size limit raised, so a fatal
// signal leaves a core in the process's directory (see FindCore).
func StartCoreDumping(t testing.TB, exe, ready string, env ...string) *Process {
	t.Helper()
	return start(t, exec.Command("/bin/sh", "-c", `ulimit -c unlimited && exec "$0"`, exe), ready, env...)
}

// FindCore returns the core the process left in its directory.
func (p *Process) FindCore(t testing.TB) string {
	t.Helper()
	return findCore(t, p.Cmd.Dir)
}

// StartPlain runs any program (not one of ours) and returns at once.
func StartPlain(t testing.TB, exe string, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(exe, args...)
	cmd.Dir = t.TempDir()
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{Cmd: cmd, stderr: &errb}
	p.waitInBackground()
	t.Cleanup(p.stop)
	return p
}

// Gcore snapshots the process with gdb's gcore and returns the core path.
func (p *Process) Gcore(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("gcore"); err != nil {
		t.Skip("gcore (gdb) is not installed")
	}
	out := filepath.Join(t.TempDir(), "core")
	cmd := exec.Command("gcore", "-o", out, fmt.Sprint(p.Cmd.Process.Pid))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcore: %v\n%s", err, b)
	}
	path := fmt.Sprintf("%s.%d", out, p.Cmd.Process.Pid)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("gcore wrote no %s: %v", path, err)
	}
	return path
}

// Quit sends SIGQUIT and returns the goroutine dump the runtime prints to
// stderr before exiting.
func (p *Process) Quit(t testing.TB) []byte {
	t.Helper()
	return p.Kill(t, syscall.SIGQUIT)
}

// Kill sends sig, as an operator's kill(1) would, waits for the process
// to exit and returns what it printed to stderr (under GOTRACEBACK=crash,
// the runtime's dump before it aborts).
func (p *Process) Kill(t testing.TB, sig syscall.Signal) []byte {
	t.Helper()
	_ = p.Cmd.Process.Signal(sig)
	return p.Wait(t)
}

// Wait waits up to exitTimeout for the process to exit and returns what
// it printed to stderr.
func (p *Process) Wait(t testing.TB) []byte {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(exitTimeout):
		t.Fatalf("process did not exit within %v", exitTimeout)
	}
	return p.stderr.Bytes()
}
