package bundle

import (
	"errors"
	"io"
)

// sequentialCacheBytes bounds the decoded frames a sequentialMemberReader
// keeps: the one being read and the one read ahead. A frame is dropped as
// soon as the reader is through with it, so that its buffer takes the
// next frame read ahead: it holds two frames, whatever the member's
// size.
const sequentialCacheBytes = 2 * frameBlock

// sequentialMemberReader reads one member's data from start to end through the
// archive's frame index. It decodes only the frames holding the data,
// each next one in the background while the reader consumes the current
// one; tar would decode every member before it. It does not hash: its
// callers do. It is not safe for concurrent use.
type sequentialMemberReader struct {
	s        *frameReader
	off, end int64         // next byte to read and end of the data, in the decoded stream
	i        int           // frame cur
	cur      *decodedFrame // pinned while the reader is in it
}

// openSequentialMember locates art through idx, taking over the caller's
// reference to it.
func openSequentialMember(idx *frameIndex, art Artifact) (*sequentialMemberReader, error) {
	s, start, err := locatedFrameReader(idx, art, sequentialCacheBytes, true)
	if err != nil {
		return nil, err
	}
	return &sequentialMemberReader{s: s, off: start, end: start + art.Size}, nil
}

// Read reads the member's next bytes, io.EOF at its end. A frame that
// fails to decode is an error wrapping ErrCorrupt; it does not name the
// archive or the member, which the caller adds.
func (m *sequentialMemberReader) Read(p []byte) (int, error) {
	if m.off >= m.end {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	starts := m.s.idx.starts
	if m.cur != nil && m.off >= starts[m.i]+int64(len(m.cur.data)) {
		m.s.discard(m.i, m.cur)
		m.cur = nil
	}
	if m.cur == nil {
		i := m.s.idx.frameAt(m.off)
		d, err := m.s.frame(i)
		if err != nil {
			return 0, err
		}
		m.i, m.cur = i, d
	}
	b := m.cur.data[m.off-starts[m.i]:]
	if rest := m.end - m.off; int64(len(b)) > rest {
		b = b[:rest]
	}
	n := copy(p, b)
	m.off += int64(n)
	return n, nil
}

// Close releases the frames and the stream's hold on the archive file.
func (m *sequentialMemberReader) Close() error {
	if m.cur != nil {
		m.s.unpin(m.cur)
		m.cur = nil
	}
	return m.s.close()
}

// memberData opens a reader of art's data, positioned at its first byte.
// It reads through the frame index when the archive allows it, else
// (ErrNoRandomAccess) through a wholeArchiveReader, which decodes the
// archive from its start. Any other error from the index, a bad seal
// among them, is returned: the seal is not bypassed.
func (a *Archive) memberData(art Artifact) (io.ReadCloser, error) {
	idx, err := a.index()
	switch {
	case err == nil:
		m, err := openSequentialMember(idx, art)
		if err != nil {
			return nil, err // not a nil *sequentialMemberReader in an interface
		}
		return m, nil
	case errors.Is(err, ErrNoRandomAccess):
		s, err := a.member(art)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, err
}
