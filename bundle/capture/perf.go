package capture

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// perfFrequency is perf's sampling rate in Hz: about ten times pprof's
// 100 Hz for finer resolution, and a quarter of perf's 4000 Hz default so
// a 10 s two-core capture with call graphs stays a few MiB. 997 rather
// than 1000 keeps sampling out of lockstep with millisecond timers.
const perfFrequency = 997

// perfFlush is how long perf gets after SIGINT to write its buffers out.
const perfFlush = 5 * time.Second

// paranoidPath holds the kernel's perf_event_paranoid level.
const paranoidPath = "/proc/sys/kernel/perf_event_paranoid"

// perfLevel returns perf_event_paranoid, or ok=false when unreadable.
func perfLevel() (int, bool) {
	b, err := os.ReadFile(paranoidPath)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return n, err == nil
}

// perfPermission returns why perf may not sample another process, or ""
// when it may. Root (CAP_PERFMON and CAP_SYS_ADMIN) is always allowed;
// otherwise the kernel allows per-process sampling of one's own processes
// up to level 2, and Debian's level 3 forbids all unprivileged use.
func perfPermission() string {
	if os.Geteuid() == 0 {
		return ""
	}
	if lvl, ok := perfLevel(); ok && lvl > 2 {
		return fmt.Sprintf("perf not permitted: kernel.perf_event_paranoid=%d forbids unprivileged use; run as root or set it to 2 or lower", lvl)
	}
	return ""
}

// recordPerf runs perf record with call graphs on pid for d, writing dst.
// A missing or forbidden perf is a skip, not a failure.
func recordPerf(ctx context.Context, pid int, d time.Duration, dst string) ([]string, error) {
	bin, err := exec.LookPath("perf")
	if err != nil {
		return nil, skip("perf not installed (no perf in PATH)")
	}
	if why := perfPermission(); why != "" {
		return nil, skip("%s", why)
	}
	cmd := exec.CommandContext(ctx, bin, "record", "-g", "-F", strconv.Itoa(perfFrequency),
		"-p", strconv.Itoa(pid), "-o", dst, "--", "sleep", strconv.Itoa(seconds(d)))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// On timeout, let perf finish the file rather than killing it mid-write.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = perfFlush
	err = cmd.Run()
	msg := lastLines(stderr.String(), 3)
	if err != nil {
		if notPermitted(stderr.String()) {
			lvl, _ := perfLevel()
			return nil, skip("perf not permitted (kernel.perf_event_paranoid=%d): %s", lvl, msg)
		}
		if st, serr := os.Stat(dst); serr != nil || st.Size() == 0 {
			return nil, fmt.Errorf("perf record: %v: %s", err, msg)
		}
		// perf exits non-zero when the target dies under it, yet the file
		// it wrote up to then is whole.
	}
	if st, serr := os.Stat(dst); serr != nil || st.Size() == 0 {
		return nil, fmt.Errorf("perf record wrote no data: %s", msg)
	}
	return []string{baseName(dst)}, nil
}

// notPermitted recognizes perf's refusal messages.
func notPermitted(stderr string) bool {
	for _, s := range []string{"perf_event_paranoid", "Permission denied", "Operation not permitted", "No permission"} {
		if strings.Contains(stderr, s) {
			return true
		}
	}
	return false
}

// lastLines returns the last n non-empty lines of s joined by "; ".
func lastLines(s string, n int) string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return strings.Join(out, "; ")
}
