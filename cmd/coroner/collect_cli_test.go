package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// collectCode runs `coroner collect ARGS` in-process and returns its exit code.
func collectCode(t *testing.T, args ...string) int {
	t.Helper()
	err := runArgs(newApp(), append([]string{"coroner", "collect"}, args...))
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		t.Logf("collect %v: %v", args, err)
		return ee.code
	}
	t.Fatalf("collect %v: untyped error %v", args, err)
	return -1
}

func TestCollectExitCodes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.tar.zst")
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skip("no true(1)")
	}
	pid := gone.Process.Pid // exited and reaped: no such process now
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--pid", "1"}, exitUsage},                                 // no -o
		{[]string{"-o", out}, exitUsage},                                    // no target
		{[]string{"-o", out, "--exec"}, exitUsage},                          // no command after --
		{[]string{"-o", out, "--pid", "1", "--exec", "--", "x"}, exitUsage}, // both
		{[]string{"-o", out, "--pid", "1", "extra"}, exitUsage},
		{[]string{"-o", out, "--pid", "1", "--label", "novalue"}, exitUsage},
		{[]string{"-o", out, "--pid", "1", "--core", "dump"}, exitUsage},
		{[]string{"-o", out, "--pid", itoa(pid)}, exitInput},
		{[]string{"-o", out, "--exec", "--", "true"}, exitInput}, // not a Go program
	} {
		if got := collectCode(t, tc.args...); got != tc.want {
			t.Errorf("collect %v: exit %d, want %d", tc.args, got, tc.want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
