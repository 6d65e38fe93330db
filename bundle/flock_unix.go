//go:build unix

package bundle

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockShared, lockExclusive and lockTry select a flock(2) lock.
const (
	lockShared    = unix.LOCK_SH
	lockExclusive = unix.LOCK_EX
	lockTry       = unix.LOCK_NB
)

// errLocked reports a lock another open file holds.
var errLocked = errors.New("locked by another process")

// flock takes (or converts) an advisory lock on f, the flag a combination
// of the lock constants; the kernel drops it when the last descriptor of
// f is closed, so a killed process never leaves a lock behind.
func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EWOULDBLOCK):
			return errLocked
		}
		return &os.PathError{Op: "flock", Path: f.Name(), Err: err}
	}
}

// noLocks reports a lock that failed because the file system has no
// locks (some network and FUSE file systems): files there are used
// unlocked, and sweeps and evictions leave them alone.
func noLocks(err error) bool {
	return errors.Is(err, unix.ENOLCK) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS)
}
