package bundle

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// bootStampAttr is the extended attribute holding the boot ID of a cache
// entry written without fsync.
const bootStampAttr = "user.coroner.boot"

func setBootStamp(f *os.File, id string) error {
	return unix.Fsetxattr(int(f.Fd()), bootStampAttr, []byte(id), 0)
}

// bootStamp returns the entry's boot stamp and whether it has one; an
// unreadable stamp reads as one from another boot.
func bootStamp(path string) (string, bool) {
	buf := make([]byte, 128)
	n, err := unix.Getxattr(path, bootStampAttr, buf)
	switch {
	case err == nil:
		return string(buf[:n]), true
	case errors.Is(err, unix.ENODATA), errors.Is(err, unix.ENOTSUP):
		return "", false
	}
	return "", true
}

func clearBootStamp(path string) { unix.Removexattr(path, bootStampAttr) }

// diskUsage is the space a file takes on disk: its allocated blocks, which
// for a sparse core are far fewer than its size.
func diskUsage(st os.FileInfo) int64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return s.Blocks * 512 // st_blocks counts 512-byte units (stat(2))
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
