package gocore

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/goroutines"
)

// A core inside an archive is read where it lies: the census pulls the
// pages it needs from the archive's frames (bundle.MemberReaderAt) instead
// of extracting a multi-GiB file first. The frame-pointer census with
// thread-register unwinding covers every goroutine of a snapshot (a core
// written by a debugger of a stopped, live process), of a dump someone
// asked for with a signal sent from outside (kill -ABRT under
// GOTRACEBACK=crash; requestedDump decides from the core), and of a crash
// (crash.go reads the panic value or fatal error text). delve remains the
// fallback for a core that reader refuses: the child then extracts the
// core, reads it with delve, and says so in a warning.

// archiveArg marks a worker invocation on an archive member:
// archive ARCHIVE MEMBER EXE.
const archiveArg = "archive"

// archiveCensus is the child's census of a core stored in the archive a.
func archiveCensus(a *bundle.Archive, member, exePath string, listed func(goroutines int)) (*goroutines.Census, error) {
	art, ok := a.Manifest().Artifact(member)
	if !ok {
		return nil, fmt.Errorf("%s: member %s: %w", a.File(), member, bundle.ErrNotFound)
	}
	needsDelve, scattered := false, false
	var refused error
	mr, err := a.OpenMember(art)
	if err == nil {
		br := &budgetReader{damageReader: damageReader{r: mr}, mr: mr, limit: inPlaceLimit(mr.Size())}
		c, derr := directCensus(br, mr.Size(), member, exePath, listed)
		mr.Close()
		switch {
		case br.damage() != nil:
			return nil, br.damage()
		case br.over.Load():
			scattered = true
		case derr == nil:
			return c, nil
		case !errors.Is(derr, errNeedsDelve):
			return nil, derr
		default:
			needsDelve, refused = true, derr
		}
	} else if !errors.Is(err, bundle.ErrNoRandomAccess) {
		return nil, err
	}
	corePath, err := a.Path(art)
	if err != nil {
		return nil, err
	}
	if !needsDelve {
		c, derr := fileCensus(corePath, member, exePath)
		if derr == nil {
			if scattered {
				c.Warnings = append(c.Warnings, fmt.Sprintf("the core's pages lay too scattered over the archive's frames to read in place (over %d MiB decoded): read from an extracted copy", inPlaceLimit(art.Size)>>20))
			}
			return c, nil
		}
		if !errors.Is(derr, errNeedsDelve) {
			return nil, derr
		}
		refused = derr
	}
	c, err := delveCensus(corePath, exePath)
	if c != nil {
		c.Source = member
		if refused != nil {
			c.Warnings = append(c.Warnings, fmt.Sprintf("coroner's core reader refused this core (%v): read by delve from an extracted copy, which is slower and takes disk", refused))
		}
	}
	return c, err
}

// fileCensus is directCensus over an extracted core.
func fileCensus(corePath, name, exePath string) (*goroutines.Census, error) {
	f, size, err := bundle.OpenSized(corePath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return directCensus(f, size, name, exePath, nil)
}

// inPlaceLimit is how many bytes a census may decode reading a core of
// size bytes in place before it extracts the core instead: three times the
// core's size, and at least minInPlaceBudget. Extracting decodes every
// frame once and also hashes and writes what it decodes, about three times
// the work of decoding alone (corpus/bench/analyze.sh measured 3.2 s
// hashing and 3.4 s writing a 6.5 GiB core that decodes in about 1 s), and
// the census then still reads the extracted file; so a census whose reads
// decode three times the core has cost about what extraction would have,
// and finishing from the extracted file keeps the whole within about twice
// extraction's cost. The census's reads (walk.go) pass about once over
// the frames holding goroutines, with a further pass for reads that fall
// behind its sweep (before Go 1.26, the semaphore waiters' chains can
// make many), far less when the goroutines' memory is a small part of the
// core.
var inPlaceLimit = func(size int64) int64 { return max(3*size, minInPlaceBudget) }

// minInPlaceBudget keeps small cores in place: the headers, notes and
// runtime globals alone touch a few of the archive's 4 MiB frames.
const minInPlaceBudget = 64 << 20

// errInPlaceBudget reports a read refused because the in-place budget is
// spent.
var errInPlaceBudget = errors.New("in-place read budget spent")

// budgetReader reads a member in place until it has decoded limit bytes;
// from then on every read fails and over is set, so the census's partial
// result is discarded for one from an extracted copy.
type budgetReader struct {
	damageReader
	mr    *bundle.MemberReaderAt
	limit int64
	over  atomic.Bool
}

func (b *budgetReader) ReadAt(p []byte, off int64) (int, error) {
	if b.mr.Decoded() > b.limit {
		b.over.Store(true)
		return 0, errInPlaceBudget
	}
	return b.damageReader.ReadAt(p, off)
}

// View lends out a frame of the member (bundle.MemberReaderAt.View) while
// the budget lasts; once it is spent, the census's reads go to ReadAt,
// which fails them.
func (b *budgetReader) View(off int64) ([]byte, int64, func(), error) {
	if b.mr.Decoded() > b.limit {
		return nil, 0, nil, errInPlaceBudget
	}
	return b.mr.View(off)
}

// damageReader reads through r and keeps the first damage a read met (an
// error wrapping bundle.ErrCorrupt: a frame that does not hash to what the
// frame table lists), which fails the census however its reader took the
// failed read (the core's readers take an unreadable page for memory
// missing from the core): an archive read in place from an object store
// is not hashed whole first, so its damage shows only as its frames are
// read.
//
// The damage is kept under a lock rather than as an atomic pointer to
// the error: taking the error's address would move it to the heap on
// each of the census's millions of reads.
type damageReader struct {
	r     io.ReaderAt
	mu    sync.Mutex
	first error
}

func (d *damageReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := d.r.ReadAt(p, off)
	if err != nil && errors.Is(err, bundle.ErrCorrupt) {
		d.mu.Lock()
		if d.first == nil {
			d.first = err
		}
		d.mu.Unlock()
	}
	return n, err
}

// damage returns the first damage a read met, or nil.
func (d *damageReader) damage() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.first
}
