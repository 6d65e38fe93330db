//go:build linux || darwin || freebsd

package bundle

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// diskUsage is the space a file takes on disk: its allocated blocks, which
// for a sparse core are far fewer than its size.
func diskUsage(st os.FileInfo) int64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return int64(s.Blocks) * 512 // st_blocks counts 512-byte units (stat(2))
	}
	return st.Size()
}

// freeSpace is the space available to unprivileged users on dir's file
// system, or -1 if unknown.
func freeSpace(dir string) int64 {
	var s unix.Statfs_t
	if unix.Statfs(dir, &s) != nil {
		return -1
	}
	return int64(s.Bavail) * int64(s.Bsize)
}
