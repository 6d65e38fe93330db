package evidence

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/coroner/coroner/bundle"
)

// Files opens a capture's files by the name collect gave them
// ("cpu.pprof", "gctrace.log", "goroutines.txt", "stderr.log", …).
type Files interface {
	Open(name string) (io.ReadCloser, error)
	// Has reports whether a file of that name, or of the given kind when
	// the capture records kinds, is present.
	Has(name string) bool
	HasKind(k bundle.Kind) bool
}

// ErrMissing reports a file the capture does not hold.
var ErrMissing = errors.New("not in the capture")

// Dir is a staging directory collect left behind.
type Dir string

// Open implements Files.
func (d Dir) Open(name string) (io.ReadCloser, error) {
	f, err := os.Open(filepath.Join(string(d), name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", name, ErrMissing)
	}
	return f, err
}

// Has implements Files.
func (d Dir) Has(name string) bool {
	_, err := os.Stat(filepath.Join(string(d), name))
	return err == nil
}

// HasKind implements Files by collect's file naming: only cores are asked
// for by kind, and collect names them core.PID.
func (d Dir) HasKind(k bundle.Kind) bool {
	if k != bundle.KindCore {
		return false
	}
	m, _ := filepath.Glob(filepath.Join(string(d), "core.*"))
	return len(m) > 0
}

// Archive is a capture already ingested into an incident archive.
type Archive struct {
	A *bundle.Archive
}

// OpenArchive opens an archive for evidence reading.
func OpenArchive(path string) (*Archive, error) {
	a, err := bundle.Open(path)
	if err != nil {
		return nil, err
	}
	return &Archive{A: a}, nil
}

func (a *Archive) find(name string) (bundle.Artifact, bool) {
	for _, art := range a.A.Manifest().Artifacts {
		if filepath.Base(art.Original) == name {
			return art, true
		}
		for _, o := range art.Also {
			if filepath.Base(o) == name {
				return art, true
			}
		}
	}
	return bundle.Artifact{}, false
}

// Open implements Files.
func (a *Archive) Open(name string) (io.ReadCloser, error) {
	art, ok := a.find(name)
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, ErrMissing)
	}
	return a.A.Open(art)
}

// Has implements Files.
func (a *Archive) Has(name string) bool {
	_, ok := a.find(name)
	return ok
}

// HasKind implements Files.
func (a *Archive) HasKind(k bundle.Kind) bool {
	return len(a.A.Manifest().ArtifactsOf(k)) > 0
}
