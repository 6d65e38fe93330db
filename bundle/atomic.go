package bundle

import (
	"fmt"
	"os"
	"path/filepath"
)

// atomicFile is a file written under a temporary name in its destination's
// directory and renamed into place only once complete and synced, so the
// destination name never holds a partial file, whatever happens.
type atomicFile struct {
	*os.File
	dest string
	done bool
}

// createAtomic starts writing dest.
func createAtomic(dest string) (*atomicFile, error) {
	dir, base := filepath.Split(dest)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("creating temporary file for %s: %w", dest, err)
	}
	return &atomicFile{File: f, dest: dest}, nil
}

// Commit syncs the file, renames it to its destination, and syncs the
// directory so the rename survives a crash.
func (a *atomicFile) Commit() error {
	if err := a.File.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", a.Name(), err)
	}
	if err := a.File.Chmod(0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", a.Name(), err)
	}
	if err := a.File.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", a.Name(), err)
	}
	if err := os.Rename(a.Name(), a.dest); err != nil {
		return fmt.Errorf("renaming to %s: %w", a.dest, err)
	}
	a.done = true
	return syncDir(filepath.Dir(a.dest))
}

// CommitUnsynced renames the file to its destination without syncing it:
// for files that can be rebuilt and are checked again after a crash of
// the machine.
func (a *atomicFile) CommitUnsynced() error {
	if err := a.File.Chmod(0o644); err != nil {
		return fmt.Errorf("chmod %s: %w", a.Name(), err)
	}
	if err := a.File.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", a.Name(), err)
	}
	if err := os.Rename(a.Name(), a.dest); err != nil {
		return fmt.Errorf("renaming to %s: %w", a.dest, err)
	}
	a.done = true
	return nil
}

// Abort removes the temporary file unless Commit succeeded.
func (a *atomicFile) Abort() {
	if a.done {
		return
	}
	a.File.Close()
	os.Remove(a.Name())
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
