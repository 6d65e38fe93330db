package bundle

import (
	"errors"
	"os"

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
