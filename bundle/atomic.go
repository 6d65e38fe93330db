package bundle

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// AtomicFile is a file written under a temporary name in its destination's
// directory and renamed into place only once complete and synced, so the
// destination name never holds a partial file, whatever happens. The
// temporary is owned (see SweepLeftovers): its lock is held until the
// rename or removal, so a run after a kill removes it and a concurrent run
// leaves it alone.
type AtomicFile struct {
	*os.File
	dest string
	done bool
}

// CreateAtomic starts writing dest.
func CreateAtomic(dest string) (*AtomicFile, error) {
	dir, base := filepath.Split(dest)
	if dir == "" {
		dir = "."
	}
	f, err := createOwned(dir, "."+base+tempMark)
	if err != nil {
		return nil, fmt.Errorf("creating temporary file for %s: %w", dest, err)
	}
	return &AtomicFile{File: f, dest: dest}, nil
}

// Commit syncs the file, renames it to its destination, and syncs the
// directory so the rename survives a crash.
func (a *AtomicFile) Commit() error {
	if err := a.File.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", a.Name(), err)
	}
	if err := a.rename(true); err != nil {
		return err
	}
	return a.close()
}

// CommitUnsynced renames the file to its destination without syncing it:
// for files that can be rebuilt and are checked again after a crash of
// the machine.
func (a *AtomicFile) CommitUnsynced() error {
	if err := a.rename(false); err != nil {
		return err
	}
	return a.close()
}

// rename puts the file in place, still open: its lock is held across the
// rename, so no sweep can take the temporary from under it. With
// syncDirectory the rename is made durable.
func (a *AtomicFile) rename(syncDirectory bool) error {
	if err := a.File.Chmod(0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", a.Name(), err)
	}
	if err := os.Rename(a.Name(), a.dest); err != nil {
		return fmt.Errorf("renaming to %s: %w", a.dest, err)
	}
	a.done = true
	if syncDirectory {
		return syncDir(filepath.Dir(a.dest))
	}
	return nil
}

// close closes a renamed file; what a failed close did not write is not
// in it, so it goes.
func (a *AtomicFile) close() error {
	if err := a.File.Close(); err != nil {
		os.Remove(a.dest)
		return fmt.Errorf("closing %s: %w", a.dest, err)
	}
	return nil
}

// Abort removes the temporary file unless Commit succeeded. It removes the
// file before closing it, while the lock still says it is in use.
func (a *AtomicFile) Abort() {
	if a.done {
		return
	}
	a.done = true
	os.Remove(a.Name())
	a.File.Close()
}

// WriteAtomic writes path with write, through a temporary file in its
// directory, fsync and rename: readers see the old file or the whole new
// one, and a killed writer leaves only a temporary that SweepLeftovers
// removes. The file is readable by all (0644), as reports and results are
// served and shared; archives keep their creator-only mode.
func WriteAtomic(path string, write func(io.Writer) error) error {
	af, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	defer af.Abort()
	if err := write(af.File); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := af.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return af.Commit()
}

// syncDir fsyncs a directory, making renames and creations in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
