package bundle

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

// Hooks for archives read from a stream rather than a file, such as an
// object store's response body.

// CheckSealStream reads an archive's bytes from r to their end and checks
// the seal over them, as CheckSealed does over a file: a download teed to
// disk is checked as it arrives, without a second pass. name is the
// archive's name in errors.
//
// It reports sealed when the seal checks. An archive without a seal whose
// frames do not allow random access (ErrNoRandomAccess: one recompressed
// by the zstd CLI) is what CheckSealed lets pass, to be read as a stream
// with every member hashed as it is read: for it CheckSealStream returns
// neither sealed nor an error, having checked only the frames' layout.
// Anything else is an error wrapping ErrCorrupt.
func CheckSealStream(r io.Reader, name string) (sealed bool, err error) {
	streamOnly := false
	err = walkFrames(r, name, true, func(fs frameSpan) error {
		if randomAccessErr(fs, name) != nil {
			streamOnly = true
		}
		return nil
	})
	switch {
	case err == nil:
		return true, nil
	case streamOnly && errors.Is(err, errNoSeal):
		return false, nil
	}
	return false, err
}

// DigestReader returns the digest of the archive whose bytes r reads from
// their start, reading no further than the manifest member: an archive in
// an object store is identified with one short read.
func DigestReader(r io.Reader, name string) (string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(len(ArchiveMagic))
	if !HasArchiveMagic(head) {
		return "", fmt.Errorf("%s: %w: no zstd magic", name, ErrNotArchive)
	}
	dec, err := zstd.NewReader(br, zstd.WithDecoderMaxWindow(maxReadWindow),
		zstd.WithDecoderMaxMemory(maxReadWindow), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return "", fmt.Errorf("%s: zstd: %w", name, err)
	}
	defer dec.Close()
	s := &wholeArchiveReader{dec: dec, tr: tar.NewReader(dec)}
	_, digest, _, err := s.readManifest(name)
	return digest, err
}
