package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// commLen is the kernel's TASK_COMM_LEN less the NUL: core pattern %e
// expands to at most this many bytes of the command name.
const commLen = 15

// mtimeSlack allows for file systems whose timestamps lag the wall clock
// (coarse-grained mtimes) when deciding that a core is new.
const mtimeSlack = 2 * time.Second

// gcore dumps the live process with gdb's gcore, which stops it only for
// the dump.
func gcore(ctx context.Context, t *target, dir string) ([]string, error) {
	if t.gone() {
		return nil, fmt.Errorf("target %s; gcore needs a live process", t.exit())
	}
	bin, err := exec.LookPath("gcore")
	if err != nil {
		return nil, skip("gcore not installed (it ships with gdb); use --core abort or install gdb")
	}
	prefix := filepath.Join(dir, "core")
	cmd := exec.CommandContext(ctx, bin, "-o", prefix, strconv.Itoa(t.pid))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second
	runErr := cmd.Run()
	dst := fmt.Sprintf("%s.%d", prefix, t.pid)
	st, err := os.Stat(dst)
	if runErr != nil || err != nil || st.Size() == 0 {
		os.Remove(dst)
		if runErr == nil {
			runErr = errors.New("no core written")
		}
		return nil, fmt.Errorf("gcore %d: %v: %s", t.pid, runErr, lastLines(out.String(), 3))
	}
	return []string{baseName(dst)}, nil
}

// abortCore sends SIGABRT to a process running with GOTRACEBACK=crash, so
// the runtime prints every goroutine and the kernel writes the core, then
// collects that core.
func abortCore(ctx context.Context, t *target, dir string) ([]string, error) {
	if t.gone() {
		return collectCore(ctx, t, dir)
	}
	if v, _ := t.envValue("GOTRACEBACK"); v != "crash" {
		return nil, skip("target does not run with GOTRACEBACK=crash (it has %q), so SIGABRT would kill it without a core; use --core gcore", v)
	}
	if lim := coreLimit(t.pid); lim == "0" {
		return nil, skip("target's core size limit is 0 (ulimit -c), so SIGABRT would kill it without a core; use --core gcore")
	}
	if t.stderr != nil {
		t.stderr.mute()
	}
	if err := syscall.Kill(t.pid, syscall.SIGABRT); err != nil {
		return nil, fmt.Errorf("sending SIGABRT to %d: %w", t.pid, err)
	}
	if !t.waitExit(coreTimeout) {
		return nil, fmt.Errorf("process %d still running %v after SIGABRT", t.pid, coreTimeout)
	}
	return collectCore(ctx, t, dir)
}

// collectCore finds the core a dead target left, following
// kernel.core_pattern, and moves (for --exec targets) or copies it into dir.
func collectCore(_ context.Context, t *target, dir string) ([]string, error) {
	pattern, _ := os.ReadFile("/proc/sys/kernel/core_pattern")
	usesPID, _ := os.ReadFile("/proc/sys/kernel/core_uses_pid")
	p := strings.TrimSpace(string(pattern))
	if strings.HasPrefix(p, "|") {
		return nil, fmt.Errorf("target %s; kernel.core_pattern pipes cores to %q, so the core is with that handler (e.g. coredumpctl dump %d)", t.exit(), strings.TrimPrefix(p, "|"), t.pid)
	}
	src, err := findCore(p, strings.TrimSpace(string(usesPID)) == "1", t.cwd, t.pid, t.comm, t.start)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", t.exit(), err)
	}
	dst := filepath.Join(dir, fmt.Sprintf("core.%d", t.pid))
	if t.cmd != nil {
		// The core of a process coroner started belongs to this capture.
		if err := os.Rename(src, dst); err == nil {
			return []string{baseName(dst)}, nil
		}
	}
	if err := copyFile(src, dst); err != nil {
		return nil, err
	}
	if t.cmd != nil {
		os.Remove(src)
	}
	return []string{baseName(dst)}, nil
}

// findCore returns the newest regular file matching core_pattern for pid
// written since start. Specifiers coroner knows (%p %P %i %I pid, %e comm,
// %%) are expanded; the rest (time, host, uid …) match anything.
func findCore(pattern string, usesPID bool, cwd string, pid int, comm string, since time.Time) (string, error) {
	if pattern == "" {
		pattern = "core"
	}
	hasPID := false
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c != '%' || i+1 == len(pattern) {
			if strings.ContainsRune("*?[\\", rune(c)) {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
			continue
		}
		i++
		switch pattern[i] {
		case '%':
			b.WriteByte('%')
		case 'p', 'P', 'i', 'I':
			hasPID = true
			b.WriteString(strconv.Itoa(pid))
		case 'e':
			if len(comm) > commLen {
				comm = comm[:commLen]
			}
			b.WriteString(filepath.Base(strings.ReplaceAll(comm, "/", "!")))
		default:
			b.WriteByte('*')
		}
	}
	glob := b.String()
	if usesPID && !hasPID {
		glob += "." + strconv.Itoa(pid)
	}
	if !filepath.IsAbs(glob) {
		if cwd == "" {
			return "", fmt.Errorf("core pattern %q is relative and the process's directory is unknown", pattern)
		}
		glob = filepath.Join(cwd, glob)
	}
	matches, err := filepath.Glob(glob)
	if err != nil {
		return "", fmt.Errorf("core pattern %q: %w", pattern, err)
	}
	type cand struct {
		path string
		mod  time.Time
	}
	var cands []cand
	for _, m := range matches {
		st, err := os.Lstat(m)
		if err != nil || !st.Mode().IsRegular() || st.ModTime().Before(since.Add(-mtimeSlack)) {
			continue
		}
		cands = append(cands, cand{m, st.ModTime()})
	}
	if len(cands) == 0 {
		return "", fmt.Errorf("no core file matching %s written since the capture began (kernel.core_pattern %q; core size limit %s)", glob, pattern, coreLimitOr(pid))
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].mod.After(cands[j].mod) })
	return cands[0].path, nil
}

// coreLimit returns the soft "Max core file size" of a live pid, or "".
func coreLimit(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Max core file size") {
			if f := strings.Fields(strings.TrimPrefix(l, "Max core file size")); len(f) > 0 {
				return f[0]
			}
		}
	}
	return ""
}

func coreLimitOr(pid int) string {
	if l := coreLimit(pid); l != "" {
		return l
	}
	return "unknown (process gone)"
}
