package bundle

import (
	"archive/tar"
	"errors"
	"fmt"
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
// index it builds serves the archive's later reads. An archive read
// through an io.ReaderAt (OpenReaderAt) is not hashed whole: its seal is
// checked over its frame table, and each frame against the table when it
// is read.
func (a *Archive) CheckSealed() error {
	if err := a.CheckBytes(); err != nil {
		return err
	}
	return a.CheckStructure()
}

// CheckBytes is the part of CheckSealed that hashes a local archive's
// every compressed byte against its seal, where its frame table checks
// only the frames read; it does nothing for an archive whose index walk
// hashed them already, one read in place, or one without random access.
// It reads the file on its own, so it may run beside reads of the
// archive, each frame of which is checked against the table as it is
// decoded.
func (a *Archive) CheckBytes() error {
	idx, err := a.index()
	if errors.Is(err, ErrNoRandomAccess) {
		return nil
	}
	if err != nil {
		return err
	}
	defer idx.release()
	if idx.sums == nil || a.src != nil || a.sealed {
		return nil
	}
	return checkSeal(a.path)
}

// CheckStructure is the part of CheckSealed that reads the tar headers
// and the trailer: every member the manifest lists, in order, with its
// size, and nothing after the trailer.
func (a *Archive) CheckStructure() error {
	path := a.path
	idx, err := a.index()
	if errors.Is(err, ErrNoRandomAccess) {
		return nil
	}
	if err != nil {
		return err
	}
	s := newFrameReader(idx, "(tar headers)", 2*frameBlock)
	defer s.close()
	want := map[string]Artifact{}
	for _, art := range a.manifest.Artifacts {
		want[art.Path] = art
	}
	got := []TrailerMember{{Name: ManifestName, Size: -1, SHA256: a.digest}}
	var trailer []byte
	first := true
	order := newMemberOrder(path)
	end, err := s.walkHeaders("checking the tar headers", func(h *tar.Header, start int64) (bool, error) {
		if first {
			first = false
			return false, nil // the manifest, read and hashed by Open
		}
		isTrailer, err := order.next(h)
		if err != nil {
			return true, err
		}
		if isTrailer {
			trailer = make([]byte, h.Size)
			if _, err := s.ReadAt(trailer, start); err != nil {
				return true, fmt.Errorf("%s: reading trailer: %w", path, err)
			}
			return false, nil
		}
		// The manifest's hash stands for the member's: the trailer must
		// agree with it; the bytes are hashed when an analysis reads them.
		got = append(got, TrailerMember{Name: h.Name, Size: h.Size, SHA256: want[h.Name].SHA256})
		return false, nil
	})
	if err != nil {
		return err
	}
	if trailer == nil {
		return fmt.Errorf("%s: no trailer after member %s: archive truncated: %w", path, QuoteName(got[len(got)-1].Name), ErrCorrupt)
	}
	if end != idx.size {
		return fmt.Errorf("%s: %d bytes after the end of the tar stream: %w", path, idx.size-end, ErrCorrupt)
	}
	return checkTrailer(path, a.manifest, trailer, got)
}
