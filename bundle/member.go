package bundle

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
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

// memberCacheBytes bounds the decoded frames a MemberReader keeps: 16 of
// coroner's frames, as much as the stream reader's window (maxReadWindow).
// A core reader returns again and again to a few places (the ELF headers
// and notes, the runtime's globals, the stacks it walks) between scattered
// reads; a few frames hold those, and the bound keeps memory flat
// whatever the member's size.
const memberCacheBytes = 16 * frameBlock

// MemberReader reads one member's bytes at any offset, decoding only the
// archive's frames that hold them. It is safe for concurrent use.
//
// It does not hash the member, which is its point: a multi-GiB core is not
// read end to end to answer a few reads. Integrity comes instead from the
// archive's seal, checked over every compressed byte when the reader is
// opened, and from the content checksum of every frame it decodes. Verify
// re-hashes members against the manifest.
type MemberReader struct {
	s           *frameStream
	start, size int64 // the member's data in the decoded stream
}

// OpenMember opens art for random access. It walks the archive's frames
// once, checking the seal (a failure wraps ErrCorrupt, as Verify reports
// it), and indexes them by decoded offset; it then finds the member's tar
// header, decoding only the frames that hold headers. An archive whose
// frames do not allow it is refused with an error wrapping
// ErrNoRandomAccess: callers fall back to Path.
func (a *Archive) OpenMember(art Artifact) (*MemberReader, error) {
	f, err := os.Open(a.path)
	if err != nil {
		return nil, err
	}
	s, err := indexFrames(f, a.path, art.Path)
	if err != nil {
		f.Close()
		return nil, err
	}
	start, err := s.locate(art)
	if err != nil {
		s.close()
		return nil, err
	}
	s.mu.Lock()
	s.ahead, s.lastMiss = true, -2 // the member's first read is no sequel
	s.mu.Unlock()
	return &MemberReader{s: s, start: start, size: art.Size}, nil
}

// Size returns the member's size in bytes.
func (m *MemberReader) Size() int64 { return m.size }

// ReadAt reads len(p) bytes of the member from offset off, as io.ReaderAt
// does: fewer only with an error, io.EOF at the end of the member. A frame
// that fails to decode is an error wrapping ErrCorrupt.
func (m *MemberReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%s: member %s: negative offset %d", m.s.path, quoteName(m.s.member), off)
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

// Close releases the archive file and the decoder. Reads after Close fail.
func (m *MemberReader) Close() error { return m.s.close() }

// frameStream is an archive's decoded tar stream, read at any offset by
// decoding whole frames, the latest of which are kept.
type frameStream struct {
	path, member string // archive and member, for errors
	frames       []frameSpan
	starts       []int64 // decoded offset of each frame's first byte
	size         int64   // decoded size of the whole stream

	life   sync.RWMutex // held for reading by decodes, for writing by close
	f      *os.File
	dec    *zstd.Decoder
	closed bool

	mu       sync.Mutex // guards what follows
	cache    map[int]*decodedFrame
	held     int64 // bytes of the decoded frames in cache
	tick     uint64
	lastMiss int  // the frame last decoded for a reader
	ahead    bool // reading ahead is on: the member is located
}

// decodedFrame is a frame in the cache, being decoded until ready closes.
type decodedFrame struct {
	ready chan struct{}
	data  []byte
	err   error
	done  bool   // data and err are set; guarded by frameStream.mu
	used  uint64 // tick of the latest use
	ahead bool   // read ahead and not used yet
}

// indexFrames walks the archive f, checking its seal, and indexes its
// zstd frames by decoded offset.
func indexFrames(f *os.File, path, member string) (*frameStream, error) {
	s := &frameStream{path: path, member: member, f: f, cache: map[int]*decodedFrame{}}
	err := walkFrames(f, path, func(fs frameSpan) error {
		switch {
		case fs.content < 0:
			return fmt.Errorf("%s: frame at offset %#x does not declare its decoded size: %w", path, fs.off, ErrNoRandomAccess)
		case fs.content > maxFrameContent:
			return fmt.Errorf("%s: frame at offset %#x declares %d decoded bytes, over the %d read at random: %w", path, fs.off, fs.content, maxFrameContent, ErrNoRandomAccess)
		case !fs.checksum:
			return fmt.Errorf("%s: frame at offset %#x has no content checksum: %w", path, fs.off, ErrNoRandomAccess)
		case fs.content == 0:
			return nil
		}
		s.frames = append(s.frames, fs)
		s.starts = append(s.starts, s.size)
		s.size += fs.content
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.dec, err = zstd.NewReader(nil, zstd.WithDecoderMaxWindow(maxReadWindow),
		zstd.WithDecoderMaxMemory(maxReadWindow), zstd.WithDecodeAllCapLimit(true))
	if err != nil {
		return nil, fmt.Errorf("%s: zstd: %w", path, err)
	}
	return s, nil
}

// locate finds art's tar header and returns the decoded offset of its
// data, after checking the header against the manifest entry. tar skips
// the members before it by seeking, so only frames holding headers (and
// the last frame of each member skipped) are decoded.
func (s *frameStream) locate(art Artifact) (int64, error) {
	sr := io.NewSectionReader(s, 0, s.size)
	tr := tar.NewReader(sr)
	for {
		h, err := tr.Next()
		switch {
		case errors.Is(err, io.EOF):
			return 0, fmt.Errorf("%s: member %s: %w", s.path, quoteName(art.Path), ErrNotFound)
		case errors.Is(err, ErrCorrupt):
			return 0, err
		case err != nil:
			return 0, fmt.Errorf("%s: looking for %s: %w: %w", s.path, quoteName(art.Path), ErrCorrupt, err)
		}
		if h.Name != art.Path {
			continue
		}
		if h.Typeflag != tar.TypeReg || sparseRecords(h) {
			return 0, fmt.Errorf("%s: member %s is not a plain regular file: %w", s.path, quoteName(art.Path), ErrCorrupt)
		}
		if h.Size != art.Size {
			return 0, fmt.Errorf("%s: member %s is %d bytes, manifest says %d: %w", s.path, quoteName(art.Path), h.Size, art.Size, ErrCorrupt)
		}
		start, err := sr.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, err
		}
		if start+h.Size > s.size {
			return 0, fmt.Errorf("%s: member %s ends at %#x, past the end of the stream at %#x: %w", s.path, quoteName(art.Path), start+h.Size, s.size, ErrCorrupt)
		}
		return start, nil
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

// ReadAt reads the decoded stream at off, frame by frame.
func (s *frameStream) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%s: negative offset %d", s.path, off)
	}
	n := 0
	for n < len(p) {
		if off >= s.size {
			return n, io.EOF
		}
		i := sort.Search(len(s.starts), func(i int) bool { return s.starts[i] > off }) - 1
		b, err := s.frame(i)
		if err != nil {
			return n, err
		}
		k := copy(p[n:], b[off-s.starts[i]:])
		n += k
		off += int64(k)
	}
	return n, nil
}

// frame returns frame i decoded, from the cache or decoding it. Two
// readers wanting the same frame decode it once; different frames decode
// concurrently.
//
// Once the member is located, a miss on the frame after the previous
// miss, and the first use of a frame read ahead, start decoding the next
// frame in the background: on two cores that took reading a member from
// start to end from 1.07 to 1.69 GB/s (BenchmarkMemberReader/sequential,
// opening included) and left scattered reads as they were. While tar looks for the member,
// the frame after a header is most often data it skips.
func (s *frameStream) frame(i int) ([]byte, error) {
	s.mu.Lock()
	s.tick++
	if d, ok := s.cache[i]; ok {
		d.used = s.tick
		if d.ahead {
			d.ahead = false
			s.readAhead(i + 1)
		}
		s.mu.Unlock()
		<-d.ready
		return d.data, d.err
	}
	d := &decodedFrame{ready: make(chan struct{}), used: s.tick}
	s.cache[i] = d
	if s.ahead && s.lastMiss == i-1 {
		s.readAhead(i + 1)
	}
	s.lastMiss = i
	s.mu.Unlock()
	return s.fill(i, d)
}

// readAhead starts decoding frame i in the background unless it is
// cached or being decoded. The caller holds s.mu.
func (s *frameStream) readAhead(i int) {
	if _, ok := s.cache[i]; ok || i >= len(s.frames) {
		return
	}
	d := &decodedFrame{ready: make(chan struct{}), used: s.tick, ahead: true}
	s.cache[i] = d
	go s.fill(i, d)
}

// fill decodes frame i into d, the cache's entry for it, and wakes the
// readers waiting for it.
func (s *frameStream) fill(i int, d *decodedFrame) ([]byte, error) {
	data, err := s.decode(i)
	s.mu.Lock()
	d.data, d.err, d.done = data, err, true
	if err != nil {
		delete(s.cache, i) // a later read tries again
	} else {
		s.held += int64(len(data))
		s.evict(d)
	}
	s.mu.Unlock()
	close(d.ready)
	return data, err
}

// evict drops the least recently used decoded frames, keeping keep, until
// the cache holds at most memberCacheBytes. The caller holds s.mu.
func (s *frameStream) evict(keep *decodedFrame) {
	for s.held > memberCacheBytes {
		victim, oldest := -1, uint64(0)
		for i, d := range s.cache {
			if d.done && d != keep && (victim < 0 || d.used < oldest) {
				victim, oldest = i, d.used
			}
		}
		if victim < 0 {
			return
		}
		s.held -= int64(len(s.cache[victim].data))
		delete(s.cache, victim)
	}
}

// decode reads and decodes frame i, checking its content checksum and
// that it decodes to the size its header declares.
func (s *frameStream) decode(i int) ([]byte, error) {
	s.life.RLock()
	defer s.life.RUnlock()
	if s.closed {
		return nil, fmt.Errorf("%s: member %s: %w", s.path, quoteName(s.member), os.ErrClosed)
	}
	fs := s.frames[i]
	src := make([]byte, fs.size)
	if _, err := s.f.ReadAt(src, fs.off); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: member %s: frame at offset %#x cut: the file shrank: %w", s.path, quoteName(s.member), fs.off, ErrCorrupt)
		}
		return nil, fmt.Errorf("%s: member %s: reading frame at offset %#x: %w", s.path, quoteName(s.member), fs.off, err)
	}
	out, err := s.dec.DecodeAll(src, make([]byte, 0, fs.content))
	if err != nil {
		return nil, fmt.Errorf("%s: member %s: frame at offset %#x: %w: %w", s.path, quoteName(s.member), fs.off, ErrCorrupt, err)
	}
	if int64(len(out)) != fs.content {
		return nil, fmt.Errorf("%s: member %s: frame at offset %#x decodes to %d bytes, its header says %d: %w", s.path, quoteName(s.member), fs.off, len(out), fs.content, ErrCorrupt)
	}
	return out, nil
}

// close releases the file and the decoder once no decode is running.
func (s *frameStream) close() error {
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.dec != nil {
		s.dec.Close()
	}
	s.mu.Lock()
	s.cache, s.held = map[int]*decodedFrame{}, 0
	s.mu.Unlock()
	return s.f.Close()
}
