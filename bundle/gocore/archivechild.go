package gocore

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"

	"github.com/coroner/coroner/bundle"
)

// ArchiveChild is how the census child opens an archive that has no local
// path, such as an object in a blob store read in place: the worker that
// opens it (registered by the package that knows how, serving
// ServeArchiveCensus) and the reference it opens it by (the object's
// URL). The child opens the archive itself rather than receiving its
// bytes, so a census that reads a few frames of a large core costs those
// frames and no more.
type ArchiveChild struct {
	// Worker is the registered worker's name (internal/worker).
	Worker string
	// Archive is what the worker's opener opens.
	Archive string
}

// exitCorrupt is the census child's exit code when the archive's bytes
// are damaged (an error wrapping bundle.ErrCorrupt: a frame that does not
// hash to what the frame table lists): the parent then reports the
// damage as such, as the coroner command's exit code 3 does, rather than
// as a failed census.
const exitCorrupt = 3

// childFoundCorrupt reports whether err, from worker.Run, is a census
// child's exit with exitCorrupt.
func childFoundCorrupt(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() == exitCorrupt
}

// ServeArchiveCensus is the entry point of an ArchiveChild's worker:
// args are REF DIGEST MEMBER EXE; open opens the archive REF names, which
// must be the archive of manifest digest DIGEST the parent read (an
// object replaced in between is refused), and the census of its core
// MEMBER with executable EXE is written on stdout as censusWorker writes
// it. It returns the process's exit code.
func ServeArchiveCensus(args []string, open func(ref string) (*bundle.Archive, error)) int {
	debug.SetGCPercent(childGCPercent)
	if len(args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: WORKER REF DIGEST MEMBER EXE")
		return 2
	}
	s := newWireSender(os.Stdout)
	a, err := open(args[0])
	if err != nil {
		return answer(s, nil, err)
	}
	defer a.Close()
	if a.Digest() != args[1] {
		return answer(s, nil, fmt.Errorf("%s: manifest digest %s, the analysis read %s: the archive was replaced while it was analysed", a.File(), a.Digest(), args[1]))
	}
	c, err := archiveCensus(a, args[2], args[3], s.plan)
	return answer(s, c, err)
}
