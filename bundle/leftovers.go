package bundle

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Temporary files and directories — an archive being written beside its
// output, an ingest's stage directory, a cache entry being extracted — are
// owned: the process that creates one holds an exclusive flock(2) on it
// until it renames or removes it. The kernel drops the lock when the
// process dies, however it dies, so a later run tells a dead owner's
// leftovers (lock free) from a live one's (lock held) and removes only the
// former. A file created but not yet locked is protected by its creator
// checking, once it holds the lock, that the name still refers to the
// file it locked, and starting over with a new one if a sweep took it.

// Name parts of owned temporaries. The owner's pid is part of the name to
// tell people who made it; the lock, not the pid, decides who may remove
// it (a pid is reused, and means nothing on another machine sharing the
// file system).
const (
	tempMark  = ".tmp-"           // ".<base>.tmp-p<pid>-<random>" beside <base>
	stagePre  = ".coroner-stage-" // ".coroner-stage-p<pid>-<random>"
	partialEx = ".partial"        // ".<key>.partial": a cache entry being extracted
)

// legacyAge is how long a temporary of an earlier coroner, which took no
// lock, must have gone unmodified before a sweep removes it. Archives and
// results being written are modified continuously, and the largest
// benchmarked ingest (4.2 GiB) takes 19 s, so an hour-old one belongs to a
// killed run; this is also the age the batch used for its own.
const legacyAge = time.Hour

// ownAttempts bounds the tries at creating an owned temporary: a sweep
// takes one only in the instant between its creation and its lock, so
// eight lost in a row mean something sweeps without pause, not chance.
const ownAttempts = 8

// createOwned creates and locks a new file in dir named
// prefix + "p<pid>-<random>".
func createOwned(dir, prefix string) (*os.File, error) {
	for range ownAttempts {
		f, err := os.CreateTemp(dir, prefix+"p"+strconv.Itoa(os.Getpid())+"-*")
		if err != nil {
			return nil, err
		}
		if owned(f) {
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("creating a temporary file in %s: taken by concurrent sweeps each time", dir)
}

// mkdirOwned creates and locks a new directory in dir named
// prefix + "p<pid>-<random>"; closing the returned file releases it.
func mkdirOwned(dir, prefix string) (string, *os.File, error) {
	for range ownAttempts {
		p, err := os.MkdirTemp(dir, prefix+"p"+strconv.Itoa(os.Getpid())+"-*")
		if err != nil {
			return "", nil, err
		}
		f, err := os.Open(p)
		if err != nil {
			continue // a sweep removed it already
		}
		if owned(f) {
			return p, f, nil
		}
		f.Close()
	}
	return "", nil, fmt.Errorf("creating a directory in %s: taken by concurrent sweeps each time", dir)
}

// owned locks the freshly created f exclusively and reports whether it
// is still under its name: false when a sweep locked it first (it will
// remove it) or removed it before the lock. Where flock is not supported,
// f stays unlocked, and sweeps leave it alone.
func owned(f *os.File) bool {
	err := flock(f, lockExclusive|lockTry)
	switch {
	case errors.Is(err, errLocked):
		return false
	case err != nil:
		return true
	}
	return sameFile(f, f.Name())
}

// sameFile reports whether name still refers to the open file f.
func sameFile(f *os.File, name string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(name)
	return err == nil && os.SameFile(a, b)
}

// removeIfUnowned removes the file or directory name under root if no
// process holds a lock on it, and reports whether it did. It holds the
// lock while removing, so the owner-to-be of a file just created sees it
// gone. Going through root, it never follows a link out of the directory.
func removeIfUnowned(root *os.Root, name string) bool {
	f, err := root.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	if flock(f, lockExclusive|lockTry) != nil {
		return false
	}
	st, err := f.Stat()
	if err != nil {
		return false
	}
	if l, err := root.Lstat(name); err != nil || !os.SameFile(st, l) {
		return false
	}
	if st.IsDir() {
		return root.RemoveAll(name) == nil
	}
	return root.Remove(name) == nil
}

// removePathIfUnowned is removeIfUnowned for a path.
func removePathIfUnowned(p string) bool {
	root, err := os.OpenRoot(filepath.Dir(p))
	if err != nil {
		return false
	}
	defer root.Close()
	return removeIfUnowned(root, filepath.Base(p))
}

// leftoverKind classifies a directory entry's name.
type leftoverKind int

const (
	notLeftover leftoverKind = iota
	ownedLeftover
	legacyLeftover
)

// classifyLeftover tells coroner's temporaries from everything else:
// owned ones (".x.tmp-p<pid>-<n>", ".coroner-stage-p<pid>-<n>",
// ".<64 hex>.partial") and an earlier coroner's unlocked ones
// (".x.tmp-<n>", ".x.tmp<n>", ".coroner-stage-<n>").
func classifyLeftover(name string) leftoverKind {
	if !strings.HasPrefix(name, ".") {
		return notLeftover
	}
	if key, ok := strings.CutSuffix(name[1:], partialEx); ok && validKey(key) {
		return ownedLeftover
	}
	var tail string
	if t, ok := strings.CutPrefix(name, stagePre); ok {
		tail = t
	} else if i := strings.LastIndex(name, ".tmp"); i > 1 {
		tail = strings.TrimPrefix(name[i+len(".tmp"):], "-")
	} else {
		return notLeftover
	}
	if pid, rnd, ok := strings.Cut(tail, "-"); ok && strings.HasPrefix(pid, "p") && digits(pid[1:]) && digits(rnd) {
		return ownedLeftover
	}
	if digits(tail) {
		return legacyLeftover
	}
	return notLeftover
}

// digits reports whether s is a non-empty run of ASCII digits.
func digits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// SweepLeftovers removes from dir (not its subdirectories) the temporary
// files and stage directories that killed coroner runs left: those whose
// owner is gone (see the package's owned temporaries), and an earlier
// coroner's unowned ones once unmodified for legacyAge. A live process's
// files are never touched. It returns the paths it removed.
func SweepLeftovers(dir string) ([]string, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("sweeping %s: %w", dir, err)
	}
	defer root.Close()
	names, err := sweepRoot(root, ".")
	if err != nil {
		return nil, fmt.Errorf("sweeping %s: %w", dir, err)
	}
	var removed []string
	for _, n := range names {
		removed = append(removed, filepath.Join(dir, n))
	}
	return removed, nil
}

// sweepRoot is SweepLeftovers for the directory dir under root; it
// returns the names it removed, relative to root.
func sweepRoot(root *os.Root, dir string) ([]string, error) {
	d, err := root.Open(dir)
	if err != nil {
		return nil, err
	}
	ents, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range ents {
		if t := e.Type(); t != 0 && t != fs.ModeDir {
			continue // links, devices: never ours
		}
		name := path.Join(dir, e.Name())
		switch classifyLeftover(e.Name()) {
		case ownedLeftover:
			if removeIfUnowned(root, name) {
				removed = append(removed, name)
			}
		case legacyLeftover:
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > legacyAge && root.RemoveAll(name) == nil {
				removed = append(removed, name)
			}
		}
	}
	return removed, nil
}

// sweepQuiet is SweepLeftovers for callers that go on whatever it finds:
// an unreadable directory fails later, where it is written, with its own
// error.
func sweepQuiet(dir string) []string {
	removed, _ := SweepLeftovers(dir)
	return removed
}
