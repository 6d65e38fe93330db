package bundle

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
)

// CheckSealed checks an archive as far as can be done without decoding
// its members' data: the seal over every compressed byte, the manifest
// first, then every member the manifest lists in order with its size, the
// trailer last, agreeing with the manifest, and nothing after it. tar
// headers are read by seeking through the frame index, so the cost is one
// pass of SHA-256 over the compressed file, not a decompression of it.
//
// Member contents are not hashed here: they are checked as they are read,
// against the manifest's SHA-256 by Open and Path and against each
// frame's checksum by OpenMember. Verify does the full check. An archive
// without random access (ErrNoRandomAccess: one recompressed by the zstd
// CLI, which drops the seal) passes unchecked: it is read as a stream,
// every member hashed as it is read.
func CheckSealed(path string) error {
	a, err := Open(path)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.CheckSealed()
}

// CheckSealed is the package's CheckSealed on an opened archive; the frame
// index it builds serves the archive's later reads.
func (a *Archive) CheckSealed() error {
	path := a.path
	idx, err := a.index()
	if errors.Is(err, ErrNoRandomAccess) {
		return nil
	}
	if err != nil {
		return err
	}
	s := newFrameStream(idx, "(tar headers)", 2*frameBlock)
	defer s.close()
	sr := io.NewSectionReader(s, 0, idx.size)
	tr := tar.NewReader(sr)
	want := map[string]Artifact{}
	for _, art := range a.manifest.Artifacts {
		want[art.Path] = art
	}
	got := []TrailerMember{{Name: ManifestName, Size: -1, SHA256: a.digest}}
	var trailer []byte
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if errors.Is(err, ErrCorrupt) {
				return err
			}
			return fmt.Errorf("%s: after member %s: %w: %v", path, quoteName(got[len(got)-1].Name), ErrCorrupt, err)
		}
		switch {
		case len(got) == 1 && h.Name == ManifestName:
			continue // read and hashed by Open
		case trailer != nil:
			return fmt.Errorf("%s: member %s after the trailer: %w", path, quoteName(h.Name), ErrCorrupt)
		case h.Typeflag != tar.TypeReg || sparseRecords(h):
			return fmt.Errorf("%s: member %s is not a plain regular file (type %q): %w", path, quoteName(h.Name), h.Typeflag, ErrCorrupt)
		case h.Name == TrailerName:
			if h.Size > maxTrailerBytes {
				return fmt.Errorf("%s: trailer of %d bytes exceeds %d: %w", path, h.Size, maxTrailerBytes, ErrCorrupt)
			}
			if trailer, err = io.ReadAll(tr); err != nil {
				return fmt.Errorf("%s: reading trailer: %w", path, err)
			}
			continue
		}
		// The manifest's hash stands for the member's: the trailer must
		// agree with it; the bytes are hashed when an analysis reads them.
		got = append(got, TrailerMember{Name: h.Name, Size: h.Size, SHA256: want[h.Name].SHA256})
	}
	if trailer == nil {
		return fmt.Errorf("%s: no trailer after member %s: archive truncated: %w", path, quoteName(got[len(got)-1].Name), ErrCorrupt)
	}
	if end, err := sr.Seek(0, io.SeekCurrent); err != nil || end != idx.size {
		return fmt.Errorf("%s: %d bytes after the end of the tar stream: %w", path, idx.size-end, ErrCorrupt)
	}
	return checkTrailer(path, a.manifest, trailer, got)
}
