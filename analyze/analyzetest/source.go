// Package analyzetest helps test analyzers on real artifacts: a Source over
// files on disk with declared kinds, and a driver that runs one analyzer (and
// its requirements) the way the runner does.
package analyzetest

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/ingest"
)

// File is one artifact of a DirSource: a file on disk and its kind.
type File struct {
	Disk  string
	Kind  bundle.Kind
	Attrs map[string]string
}

// DirSource is an analyze.Source over files on disk; the manifest is built
// from the files' real sizes and hashes.
type DirSource struct {
	m     *bundle.Manifest
	paths map[string]string // archive path → disk path
}

// NewDirSource builds a source whose artifacts are the given files, stored
// as "artifacts/<kind>/<base name>".
func NewDirSource(id string, files []File) (*DirSource, error) {
	s := &DirSource{m: &bundle.Manifest{FormatVersion: bundle.FormatVersion, ID: id, Tool: "test"}, paths: map[string]string{}}
	for _, f := range files {
		fd, err := os.Open(f.Disk)
		if err != nil {
			return nil, err
		}
		n, sum, err := bundle.SumSHA256(fd)
		fd.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Disk, err)
		}
		if f.Attrs == nil {
			f.Attrs, err = sniffAttrs(f.Disk)
			if err != nil {
				return nil, err
			}
		}
		p := path.Join("artifacts", string(f.Kind), filepath.Base(f.Disk))
		s.paths[p] = f.Disk
		s.m.Artifacts = append(s.m.Artifacts, bundle.Artifact{Path: p, Kind: f.Kind, Size: n,
			SHA256: sum, Original: filepath.Base(f.Disk), Attrs: f.Attrs})
	}
	sort.Slice(s.m.Artifacts, func(i, j int) bool { return s.m.Artifacts[i].Path < s.m.Artifacts[j].Path })
	return s, nil
}

// sniffAttrs learns a file's manifest attributes the way ingest does.
func sniffAttrs(disk string) (map[string]string, error) {
	fd, size, err := bundle.OpenSized(disk)
	if err != nil {
		return nil, err
	}
	defer fd.Close()
	_, attrs, _ := ingest.Sniff(fd, size)
	return attrs, nil
}

// Manifest implements analyze.Source.
func (s *DirSource) Manifest() *bundle.Manifest { return s.m }

// Open implements analyze.Source.
func (s *DirSource) Open(a bundle.Artifact) (io.ReadCloser, error) {
	p, err := s.Path(a)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// Path implements analyze.Source.
func (s *DirSource) Path(a bundle.Artifact) (string, error) {
	p, ok := s.paths[a.Path]
	if !ok {
		return "", fmt.Errorf("%s: no such artifact", a.Path)
	}
	return p, nil
}

// SetCapture records how the artifacts were captured, as coroner collect
// writes it into a manifest.
func (s *DirSource) SetCapture(c *bundle.Capture) { s.m.Capture = c }
