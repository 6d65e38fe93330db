// Package procfs recognizes the /proc files a capture keeps beside a
// process (proc(5)): its memory maps, resource limits, status and
// environment, by the shapes the kernel writes them in.
package procfs

import (
	"bytes"
	"regexp"
	"unicode/utf8"

	"github.com/coroner/coroner/bundle/texthead"
)

var (
	// /proc/PID/maps (fs/proc/task_mmu.c show_map_vma).
	reMapsLine = regexp.MustCompile(`^[0-9a-f]+-[0-9a-f]+ [r-][w-][x-][ps] [0-9a-f]+ [0-9a-f]+:[0-9a-f]+ [0-9]+`)
	// /proc/PID/limits header (fs/proc/base.c proc_pid_limits).
	reLimitsHeader = regexp.MustCompile(`^Limit +Soft Limit +Hard Limit +Units *$`)
	// An environment entry, as in /proc/PID/environ.
	reEnvEntry = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
)

// RecognizeMaps is the sniffing row of /proc/PID/maps: every line of the
// head is a mapping.
func RecognizeMaps(h *texthead.Head) (bool, map[string]string) {
	return texthead.AllLines(h, reMapsLine.Match), nil
}

// RecognizeLimits is the sniffing row of /proc/PID/limits: its header
// line first.
func RecognizeLimits(h *texthead.Head) (bool, map[string]string) {
	return len(h.Lines) > 0 && reLimitsHeader.Match(h.Lines[0]), nil
}

// RecognizeStatus is the sniffing row of /proc/PID/status, whose first
// field is the command's name (fs/proc/array.c proc_task_name).
func RecognizeStatus(h *texthead.Head) (bool, map[string]string) {
	return len(h.Lines) > 0 && bytes.HasPrefix(h.Lines[0], []byte("Name:\t")), nil
}

// IsEnviron recognizes the head of /proc/PID/environ: NUL-terminated
// KEY=VALUE entries (the last one may be cut when head is the first
// 4 KiB or more of a longer file).
func IsEnviron(head []byte) bool {
	if len(head) == 0 || head[len(head)-1] != 0 && len(head) < 4096 {
		return false
	}
	parts := bytes.Split(bytes.TrimRight(head, "\x00"), []byte{0})
	if len(head) >= 4096 {
		parts = parts[:len(parts)-1] // last entry may be cut
	}
	if len(parts) == 0 {
		return false
	}
	for _, p := range parts {
		if !reEnvEntry.Match(p) || !utf8.Valid(p) {
			return false
		}
	}
	return true
}
