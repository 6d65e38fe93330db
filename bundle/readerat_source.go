package bundle

import (
	"bufio"
	"errors"
	"io"
	"runtime"
)

// ErrNoFrameTable reports an archive read through an io.ReaderAt
// (OpenReaderAt) that has no frame table: written before archives had
// one, or recompressed. Such an archive is read from a local copy.
var ErrNoFrameTable = errNoTable

// archiveSource is an archive's bytes read through an io.ReaderAt of
// known size, such as an object in a blob store read by ranged requests.
type archiveSource struct {
	r    io.ReaderAt
	size int64
}

// remoteManifestBuffer is the read buffer for the manifest of an archive
// read through an io.ReaderAt: each buffer fill is one read of r (one
// ranged request of an object), and the manifest frame of an incident's
// tens of artifacts compresses to a few KiB (see manifestReserve), so 64
// KiB holds it without reading far into the members behind it.
const remoteManifestBuffer = 64 << 10

// OpenReaderAt opens the archive whose size bytes r reads, named name in
// errors, without a local copy. It reads the tail (the frame table, checked
// against the seal) and the manifest; members are then read frame by
// frame, each frame checked against the hash the table lists, so reading
// a member costs the frames that hold it. An archive without a frame
// table is refused with an error wrapping ErrNoFrameTable (or ErrCorrupt
// when it has no seal either): the caller reads a local copy instead.
// Path extracts members into the extraction cache as for a local archive.
func OpenReaderAt(r io.ReaderAt, size int64, name string) (*Archive, error) {
	x, err := newTableIndex(r, size, name, nil)
	if errors.Is(err, errNoSeal) {
		return nil, errors.Join(err, ErrNoFrameTable)
	}
	if err != nil {
		return nil, err
	}
	a := &Archive{path: name, src: &archiveSource{r: r, size: size}}
	s, err := a.openWhole()
	if err == nil {
		a.manifest, a.digest, _, err = s.readManifest(name)
		s.Close()
	}
	if err != nil {
		x.release()
		return nil, err
	}
	a.idx = &frameIndexRef{x: x}
	a.idx.cleanup = runtime.AddCleanup(a, (*frameIndexRef).drop, a.idx)
	return a, nil
}

// openWhole decodes the archive from its start, from its file or its
// io.ReaderAt.
func (a *Archive) openWhole() (*wholeArchiveReader, error) {
	if a.src == nil {
		return openWholeArchive(a.path, 1)
	}
	br := bufio.NewReaderSize(io.NewSectionReader(a.src.r, 0, a.src.size), remoteManifestBuffer)
	return newWholeArchiveReader(br, nil, a.path, 1)
}
