//go:build !unix

package bundle

import (
	"errors"
	"os"
)

// Without flock(2) no lock is taken: files of a live process cannot be
// told from a dead one's, so sweeps leave them all (see ownerGone).

const (
	lockShared    = 1
	lockExclusive = 2
	lockTry       = 4
)

var errLocked = errors.New("locked by another process")

func flock(f *os.File, how int) error { return errors.ErrUnsupported }

func noLocks(err error) bool { return errors.Is(err, errors.ErrUnsupported) }
