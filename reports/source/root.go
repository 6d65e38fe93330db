package source

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// root is one source tree given with --source, opened as an os.Root so
// that no read can leave it, whatever symbolic links inside say.
type root struct {
	given string // as the user wrote it, for messages and the report
	real  string // absolute, symbolic links resolved
	fs    *os.Root
	// module is the module path its go.mod declares, "" without one.
	module string
}

// openRoot opens a source tree; it must be an existing directory.
func openRoot(given string) (*root, error) {
	abs, err := filepath.Abs(given)
	if err != nil {
		return nil, fmt.Errorf("source tree %s: %w", given, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("source tree %s: %w", given, err)
	}
	fs, err := os.OpenRoot(real)
	if err != nil {
		return nil, fmt.Errorf("source tree %s: %w", given, err)
	}
	rt := &root{given: given, real: real, fs: fs}
	if f, err := fs.Open("go.mod"); err == nil {
		data, _ := io.ReadAll(io.LimitReader(f, maxGoModBytes))
		f.Close()
		rt.module = modulePath(data)
	}
	return rt, nil
}

func (rt *root) close() { rt.fs.Close() }

// EscapeError reports a file under a source tree that is a symbolic link,
// or lies under one, leading out of the tree.
type EscapeError struct {
	File   string // the path under the tree, as the tree was given
	Target string // where the link leads
	Root   string
}

func (e *EscapeError) Error() string {
	return fmt.Sprintf("refusing %s: a symbolic link leads out of the source tree %s (to %s)", e.File, e.Root, e.Target)
}

// errNotFound reports a candidate path that does not exist under a tree.
var errNotFound = errors.New("not found")

// open opens rel (a local slash path) under the tree as a regular file.
// A path that does not exist is errNotFound; one that resolves through a
// symbolic link to outside the tree is an *EscapeError and is not opened.
func (rt *root) open(rel string) (*os.File, error) {
	if !filepath.IsLocal(rel) {
		return nil, errNotFound
	}
	full := filepath.Join(rt.real, filepath.FromSlash(rel))
	if _, err := os.Lstat(full); err != nil {
		return nil, errNotFound
	}
	resolved, err := filepath.EvalSymlinks(full)
	if err != nil {
		// A dangling link, or a loop: nothing to read either way.
		return nil, errNotFound
	}
	if !inside(rt.real, resolved) {
		return nil, &EscapeError{File: filepath.Join(rt.given, filepath.FromSlash(rel)), Target: resolved, Root: rt.given}
	}
	// os.Root refuses an escape too, should a link change after the check.
	f, err := rt.fs.Open(filepath.FromSlash(rel))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(rt.given, rel), err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", filepath.Join(rt.given, rel), err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file", filepath.Join(rt.given, rel))
	}
	return f, nil
}

// exists reports whether rel names something under the tree without
// following a link out of it.
func (rt *root) exists(rel string) bool {
	if !filepath.IsLocal(rel) {
		return false
	}
	_, err := rt.fs.Lstat(filepath.FromSlash(rel))
	return err == nil
}

// inside reports whether p is dir or below it.
func inside(dir, p string) bool {
	r, err := filepath.Rel(dir, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r)
}
