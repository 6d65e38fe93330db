// Package worker runs parsers that can die in ways recover cannot catch
// (delve's core reader, debug/elf and debug/dwarf on hostile input: fatal
// out-of-memory, runaway loops) in a child process: coroner re-executes
// itself as "EXE __worker NAME ARGS..." under a memory limit and a time
// budget, and the parent reads the child's JSON answer from its stdout.
package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"time"
)

// Func is a worker's entry point: it writes its answer to stdout and returns
// the process exit code.
type Func func(args []string) int

var workers = map[string]Func{}

// Register makes fn runnable as worker name. Call it from init.
func Register(name string, fn Func) { workers[name] = fn }

// Main runs the worker named by os.Args when the process was started as one,
// and exits; otherwise it returns. Call it first in main and in TestMain.
func Main() {
	if len(os.Args) < 3 || os.Args[1] != "__worker" {
		return
	}
	fn, ok := workers[os.Args[2]]
	if !ok {
		fmt.Fprintf(os.Stderr, "coroner: unknown worker %q\n", os.Args[2])
		os.Exit(2)
	}
	applyRlimit()
	if lim := os.Getenv("CORONER_WORKER_MEMLIMIT"); lim != "" {
		var n int64
		if _, err := fmt.Sscan(lim, &n); err == nil && n > 0 {
			debug.SetMemoryLimit(n)
		}
	}
	os.Exit(fn(os.Args[3:]))
}

// Limits bound a worker process.
type Limits struct {
	// Memory is the soft limit handed to the child's Go runtime, and (as an
	// address-space rlimit of 4× that, Go reserves generously) a hard cap.
	Memory int64
	// Timeout kills the child when it expires.
	Timeout time.Duration
	// CPUs, when positive, sets the child's GOMAXPROCS, so that N children
	// run side by side share the machine instead of each sizing itself to
	// all of it.
	CPUs int
}

// ErrKilled reports that a worker died from a signal or its budget.
var ErrKilled = errors.New("worker killed")

// Run starts worker name with args and returns its stdout. A crash, a
// non-zero exit, or an expired budget is an error carrying the child's last
// stderr lines; a non-zero exit's wraps its *exec.ExitError, whose code
// the worker may use to classify its failure.
func Run(ctx context.Context, name string, args []string, lim Limits) ([]byte, error) {
	var out []byte
	err := RunStream(ctx, name, args, lim, func(r io.Reader) error {
		var err error
		out, err = io.ReadAll(r)
		return err
	})
	return out, err
}

// RunStream is Run handing the child's stdout to read as it is written,
// rather than gathering it first: an answer of a million goroutines is
// decoded while the child still writes it, and never held whole. What read
// leaves unread is discarded. The child's failure takes precedence over
// read's error, which a child dying mid-answer causes too.
func RunStream(ctx context.Context, name string, args []string, lim Limits, read func(io.Reader) error) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("worker %s: locating own executable: %w", name, err)
	}
	if lim.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, lim.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, exe, append([]string{"__worker", name}, args...)...)
	cmd.Env = os.Environ()
	if lim.Memory > 0 {
		cmd.Env = append(cmd.Env, fmt.Sprintf("CORONER_WORKER_MEMLIMIT=%d", lim.Memory))
	}
	if lim.CPUs > 0 {
		cmd.Env = append(cmd.Env, fmt.Sprintf("GOMAXPROCS=%d", lim.CPUs))
	}
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{max: 64 << 10, buf: &stderr}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("worker %s: %w", name, err)
	}
	setRlimit(cmd, lim.Memory)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("worker %s: starting: %w", name, err)
	}
	rerr := read(stdout)
	// Drained before Wait, which closes the pipe: a child still writing
	// would otherwise block on a full pipe until its budget ran out.
	_, _ = io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("worker %s: time budget of %s exceeded: %w", name, lim.Timeout, ErrKilled)
	}
	if err != nil {
		tail := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(tail[:max(0, len(tail)-1)], '\n'); len(tail) > 2000 && i >= 0 {
			tail = "…" + tail[len(tail)-2000:]
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ProcessState != nil && !ee.Exited() {
			return fmt.Errorf("worker %s died (%s): %s: %w", name, ee.ProcessState, tail, ErrKilled)
		}
		return fmt.Errorf("worker %s failed: %w: %s", name, err, tail)
	}
	if rerr != nil {
		return fmt.Errorf("worker %s: reading its answer: %w", name, rerr)
	}
	return nil
}

// limitedBuffer keeps the last max bytes written.
type limitedBuffer struct {
	max int
	buf *bytes.Buffer
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.buf.Write(p)
	if over := l.buf.Len() - l.max; over > 0 {
		l.buf.Next(over)
	}
	return len(p), nil
}
