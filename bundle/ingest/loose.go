package ingest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/coroner/coroner/bundle"
)

// LooseFile is one file read where it lies, without an archive: a
// service log or goroutine dump handed straight to a command that shows
// a census or a crash. It offers what analyzers read an archive through
// (Manifest, Open, Path), with a manifest of the one artifact sniffed.
type LooseFile struct {
	path string
	m    *bundle.Manifest
}

// OpenLoose sniffs the regular file at path and returns it as a
// one-artifact source. Sniffing reads its head and, for a log, its tail as
// far back as its last traceback needs (servicelog.Find), so the counts in
// the manifest are of that part.
func OpenLoose(path string) (*LooseFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	kind, attrs, warns := sniff(f, st.Size(), true)
	name := filepath.Base(path)
	m := &bundle.Manifest{ID: name, Artifacts: []bundle.Artifact{{Path: name, Kind: kind, Size: st.Size(), Original: name, Attrs: attrs}}, Warnings: warns}
	return &LooseFile{path: path, m: m}, nil
}

// Manifest returns the one-artifact manifest.
func (l *LooseFile) Manifest() *bundle.Manifest { return l.m }

// Open opens the file; what it returns is an *os.File, which also reads
// at offsets (io.ReaderAt), so a log's tail is read without its head.
func (l *LooseFile) Open(bundle.Artifact) (io.ReadCloser, error) { return os.Open(l.path) }

// Path returns the file's path.
func (l *LooseFile) Path(bundle.Artifact) (string, error) { return l.path, nil }

// Close releases nothing: each Open is closed by its caller.
func (l *LooseFile) Close() error { return nil }
