package bundle

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrNoRandomAccess reports an archive whose frames cannot be decoded one
// at a time: a frame that does not declare its decoded size or has no
// content checksum, or declares more than maxFrameContent (an archive
// recompressed by the zstd CLI, which writes one frame). Archive.Path
// still reads such an archive.
var ErrNoRandomAccess = errors.New("archive does not allow random access")

// maxFrameContent bounds the decoded size of a frame read at random: each
// read decodes a whole frame into memory. coroner's frame writer cuts
// every frameBlock bytes; the manifest frame is the only one written
// whole, and at a few hundred bytes an entry a manifest of
// DefaultMaxMembers entries stays well below four times frameBlock (a
// larger one only sends readers to Path). The bound refuses an archive
// recompressed as one frame of the whole stream.
const maxFrameContent = 4 * frameBlock

// memberCacheBytes bounds the decoded frames a MemberReaderAt keeps: ten
// of coroner's frames. A core reader returns again and again to a few
// places (the ELF headers and notes, the runtime's globals, the allgs
// array) between reads that sweep its memory in address order
// (gocore's walk.go): the frame a sweep is in, the two behind it that
// reads close to the sweep still use (gocore's nearBehind), the
// randomAheadDepth frames read ahead, and four for those places. With
// fewer, frames read ahead were dropped before their use and decoded
// again (a million-goroutine core: 1,052 decodes of its 973 frames with
// six kept, 883 with ten). The bound keeps memory flat whatever the
// member's size.
const memberCacheBytes = 10 * frameBlock

// randomAheadDepth is how many frames a MemberReaderAt reads ahead of a
// read that follows the one before. With one frame ahead a census sweep
// waited for the frame being decoded a third of its time: frames take
// uneven times to sweep (some hold thousands of goroutines, others
// none), and a decoder one frame ahead idles behind a slow frame and is
// caught up with after a fast one. Three took the census of a
// million-goroutine core from 2.9 to 2.5 s on two cores; two gave 2.8 s,
// four no more than three.
const randomAheadDepth = 3

// remoteMemberCacheBytes bounds the decoded frames of every member
// reader of an archive read through an io.ReaderAt (OpenReaderAt), such
// as an object in a blob store: there a frame decoded again is also
// fetched again, one ranged request, so the reader keeps sixteen frames.
// A test core read in place from S3 was served 16.4 MB of its 28 MB
// object with six, 3.5 MB with sixteen.
const remoteMemberCacheBytes = 16 * frameBlock

// MemberReaderAt reads one member's bytes at any offset, decoding only the
// archive's frames that hold them. It is safe for concurrent use.
//
// It does not hash the member, which is its point: a multi-GiB core is not
// read end to end to answer a few reads. Integrity comes instead from the
// archive's seal, checked over every compressed byte of the file the
// reader reads when the Archive first indexes it, and from the content
// checksum of every frame it decodes. Verify re-hashes members against
// the manifest.
type MemberReaderAt struct {
	s           *frameReader
	start, size int64 // the member's data in the decoded stream
}

// OpenMember opens art for random access. The archive's frames are
// indexed once per Archive, by a walk that checks the seal (a failure
// wraps ErrCorrupt, as Verify reports it); finding the member's tar header
// then decodes only the frames that hold headers. An archive whose frames
// do not allow it is refused with an error wrapping ErrNoRandomAccess:
// callers fall back to Path.
func (a *Archive) OpenMember(art Artifact) (*MemberReaderAt, error) {
	return a.openMember(art, memberCacheBytes, false)
}

// OpenMemberForward is OpenMember for a reader that reads on from where
// it last read, with a few reads elsewhere (a perf.data header at the
// end, a log's tail read again further back): it reads ahead from its
// first read on and keeps only forwardCacheBytes of decoded frames, so
// the buffers of the frames it is through with take the next ones.
func (a *Archive) OpenMemberForward(art Artifact) (*MemberReaderAt, error) {
	return a.openMember(art, forwardCacheBytes, true)
}

// forwardCacheBytes bounds the decoded frames OpenMemberForward keeps:
// the one being read, the one read ahead, and the one before, which a
// read across a frame boundary still needs.
const forwardCacheBytes = 3 * frameBlock

// sequentialAheadDepth is how many frames a reader that reads on from
// where it last read reads ahead: one, the frame its cache keeps for it
// (forwardCacheBytes, sequentialCacheBytes).
const sequentialAheadDepth = 1

func (a *Archive) openMember(art Artifact, limit int64, forward bool) (*MemberReaderAt, error) {
	if a.src != nil {
		limit = remoteMemberCacheBytes
	}
	idx, err := a.index()
	if err != nil {
		return nil, err
	}
	s, start, err := locatedFrameReader(idx, art, limit, forward)
	if err != nil {
		return nil, err
	}
	return &MemberReaderAt{s: s, start: start, size: art.Size}, nil
}

// locatedFrameReader opens a frameReader over idx for art, taking over the
// caller's reference to idx, keeping up to limit bytes of decoded frames;
// it returns the stream with the decoded offset of art's data, read ahead
// for a sequential reader or for scattered reads (see follow).
func locatedFrameReader(idx *frameIndex, art Artifact, limit int64, sequential bool) (*frameReader, int64, error) {
	s := newFrameReader(idx, art.Path, limit)
	start, err := s.locate(art)
	if err != nil {
		s.close()
		return nil, 0, err
	}
	depth := randomAheadDepth
	if sequential {
		depth = sequentialAheadDepth
	}
	s.follow(start, art.Size, sequential, depth)
	return s, start, nil
}

// Size returns the member's size in bytes.
func (m *MemberReaderAt) Size() int64 { return m.size }

// ReadAt reads len(p) bytes of the member from offset off, as io.ReaderAt
// does: fewer only with an error, io.EOF at the end of the member. A frame
// that fails to decode is an error wrapping ErrCorrupt.
func (m *MemberReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%s: member %s: negative offset %d", m.s.idx.path, QuoteName(m.s.member), off)
	}
	if off >= m.size {
		return 0, io.EOF
	}
	want := len(p)
	if rest := m.size - off; int64(want) > rest {
		p = p[:rest]
	}
	n, err := m.s.ReadAt(p, m.start+off)
	if err == nil && n < want {
		err = io.EOF
	}
	return n, err
}

// View lends out the decoded frame holding the member's byte at off: b
// holds the member's bytes [at, at+len(b)), the frame's part of the
// member, with at <= off. They stay valid, and the frame stays decoded,
// until release is called, once, before Close. A reader making many small
// reads within a frame (a core reader following pointers) copies from a
// view rather than calling ReadAt for each, whose locking and lookups
// cost more than a read of a few bytes.
func (m *MemberReaderAt) View(off int64) (b []byte, at int64, release func(), err error) {
	if off < 0 || off >= m.size {
		return nil, 0, nil, fmt.Errorf("%s: member %s: offset %d outside its %d bytes", m.s.idx.path, QuoteName(m.s.member), off, m.size)
	}
	data, start, release, err := m.s.view(m.start + off)
	if err != nil {
		return nil, 0, nil, err
	}
	// Clip the frame to the member: its first frame may begin with the
	// member's tar header, its last run into the next member.
	lo, hi := max(m.start-start, 0), min(int64(len(data)), m.start+m.size-start)
	return data[lo:hi], start + lo - m.start, release, nil
}

// Decoded returns how many bytes the reader has decoded so far, reading
// ahead included: what its reads have cost, to set against the member's
// size (reading it whole decodes each frame once).
func (m *MemberReaderAt) Decoded() int64 { return m.s.decoded.Load() }

// Close releases the reader's cache and its hold on the archive file.
// Reads after Close fail with an error wrapping os.ErrClosed.
func (m *MemberReaderAt) Close() error { return m.s.close() }

// locate finds art's tar header and returns the decoded offset of its
// data, after checking the header against the manifest entry.
func (s *frameReader) locate(art Artifact) (int64, error) {
	path, size := s.idx.path, s.idx.size
	found := int64(-1)
	_, err := s.walkHeaders("looking for "+QuoteName(art.Path), func(h *tar.Header, start int64) (bool, error) {
		if h.Name != art.Path {
			return false, nil
		}
		switch {
		case h.Typeflag != tar.TypeReg || sparseRecords(h):
			return true, fmt.Errorf("%s: member %s is not a plain regular file: %w", path, QuoteName(art.Path), ErrCorrupt)
		case h.Size != art.Size:
			return true, fmt.Errorf("%s: member %s is %d bytes, manifest says %d: %w", path, QuoteName(art.Path), h.Size, art.Size, ErrCorrupt)
		case h.Size > size-start:
			return true, fmt.Errorf("%s: member %s ends at %#x, past the end of the stream at %#x: %w", path, QuoteName(art.Path), start+h.Size, size, ErrCorrupt)
		}
		found = start
		return true, nil
	})
	switch {
	case err != nil:
		return 0, err
	case found < 0:
		return 0, fmt.Errorf("%s: member %s: %w", path, QuoteName(art.Path), ErrNotFound)
	}
	return found, nil
}

// walkHeaders calls fn with every tar header of the stream, in order, and
// the decoded offset of the member's data, until fn says it is done; it
// returns the offset where the tar stream ended (after its end marker), or
// -1 when fn stopped the walk. Only frames holding headers are decoded:
// past a plain regular member, the walk starts afresh at the next header
// rather than letting tar skip the data, which would read its last byte
// and decode a frame of it. what names the walk in errors.
func (s *frameReader) walkHeaders(what string, fn func(h *tar.Header, start int64) (done bool, err error)) (int64, error) {
	path, size := s.idx.path, s.idx.size
	var base int64 // where sr starts in the stream
	sr := io.NewSectionReader(s, 0, size)
	tr := tar.NewReader(sr)
	for {
		h, err := tr.Next()
		switch {
		case errors.Is(err, io.EOF):
			pos, err := sr.Seek(0, io.SeekCurrent)
			return base + pos, err
		case errors.Is(err, ErrCorrupt):
			return 0, err
		case err != nil:
			return 0, fmt.Errorf("%s: %s: %w: %w", path, what, ErrCorrupt, err)
		}
		pos, err := sr.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, err
		}
		start := base + pos
		if done, err := fn(h, start); done || err != nil {
			return -1, err
		}
		if h.Typeflag != tar.TypeReg || sparseRecords(h) {
			continue // tar knows how far its data goes
		}
		next := h.Size + padding(h.Size) // the data, padded to a record
		if h.Size > size-start || next > size-start {
			return 0, fmt.Errorf("%s: %s: member %s ends past the end of the stream at %#x: %w", path, what, QuoteName(h.Name), size, ErrCorrupt)
		}
		base = start + next
		sr = io.NewSectionReader(s, base, size-base)
		tr = tar.NewReader(sr)
	}
}

// sparseRecords reports whether h carries PAX sparse-file records, which
// make tar read a map from the member's data; coroner writes none.
func sparseRecords(h *tar.Header) bool {
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}
