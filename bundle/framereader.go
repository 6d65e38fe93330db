package bundle

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// framePool recycles the buffers of decoded frames between the frames,
// and the members, a process reads: a frame evicted from one reader's
// cache takes the next frame any reader decodes. A fresh 4 MiB buffer
// costs a thousand page faults as it is first written, which showed as a
// sixth of a large analysis' CPU time; a sync.Pool empties at garbage
// collections, so it holds no memory for long.
var framePool = sync.Pool{New: func() any { return new([]byte) }}

// srcPool recycles the buffers compressed frames are read into: they are
// needed only while a frame decodes, and allocating 4 MiB per frame shows
// as page faults when a core reader touches hundreds of frames.
var srcPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledSrc bounds the buffers srcPool keeps; larger ones, read for a
// frame that compresses badly or a hostile one, go to the garbage
// collector.
const maxPooledSrc = 2 * frameBlock

// frameReader is an archive's decoded tar stream, read at any offset by
// decoding whole frames, the latest of which are kept. It reads for one
// member (named in errors) and holds a reference to the index.
type frameReader struct {
	idx    *frameIndex
	member string
	limit  int64 // bytes of decoded frames the cache keeps

	decoded atomic.Int64 // bytes decoded for this stream, read-ahead included

	life   sync.RWMutex // held for reading by decodes, for writing by close
	closed bool         // set holding both life and mu

	mu       sync.Mutex // guards what follows
	cache    map[int]*decodedFrame
	held     int64 // bytes of the buffers of the decoded frames in cache
	tick     uint64
	lastMiss int  // the frame last decoded for a reader
	ahead    bool // reading ahead is on: the member is located
	aheadEnd int  // frames from here on are not read ahead
	// depth is how many frames are read ahead of the reader; the
	// read-ahead decoder decodes frames [aheadNext, aheadTo) one after
	// another while aheadRunning.
	depth              int
	aheadNext, aheadTo int
	aheadRunning       bool
}

// decodedFrame is a frame in the cache, being decoded until ready closes.
//
// Its buffer is reused for another frame once the frame is out of the
// cache and no reader copies from it: a reader pins the frame while it
// holds data, and eviction leaves a pinned frame's buffer to the last
// unpin.
type decodedFrame struct {
	ready   chan struct{}
	data    []byte // the decoded frame, within buf
	buf     []byte
	err     error
	done    bool   // data and err are set; this and what follows are guarded by frameReader.mu
	used    uint64 // tick of the latest use
	ahead   bool   // read ahead and not used yet
	pins    int    // readers holding data
	evicted bool   // out of the cache: buf is recycled at the last unpin
}

// newFrameReader reads idx, taking over the caller's reference to it,
// keeping up to limit bytes of decoded frames.
func newFrameReader(idx *frameIndex, member string, limit int64) *frameReader {
	return &frameReader{idx: idx, member: member, limit: limit, cache: map[int]*decodedFrame{}, lastMiss: -2}
}

// follow turns reading ahead on for the member's data at [start,
// start+size), once it is located: only frames holding its data are read
// ahead, depth frames before the reader. A sequential reader reads ahead
// from its first frame on; a random one waits for a read that follows the
// one before.
func (s *frameReader) follow(start, size int64, sequential bool, depth int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if size == 0 {
		return
	}
	s.ahead, s.aheadEnd, s.depth = true, s.idx.frameAt(start+size-1)+1, depth
	if sequential {
		s.lastMiss = s.idx.frameAt(start) - 1
	}
}

// ReadAt reads the decoded stream at off, frame by frame. Errors name the
// archive and the member.
func (s *frameReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%s: negative offset %d", s.idx.path, off)
	}
	n := 0
	for n < len(p) {
		if off >= s.idx.size {
			return n, io.EOF
		}
		i := s.idx.frameAt(off)
		d, err := s.frame(i)
		if err != nil {
			return n, fmt.Errorf("%s: member %s: %w", s.idx.path, QuoteName(s.member), err)
		}
		k := copy(p[n:], d.data[off-s.idx.starts[i]:])
		s.unpin(d)
		n += k
		off += int64(k)
	}
	return n, nil
}

// view returns the decoded frame holding the stream's byte at off, pinned
// until release is called, and the stream offset of its first byte.
// Errors name the archive and the member.
func (s *frameReader) view(off int64) (data []byte, at int64, release func(), err error) {
	if off < 0 || off >= s.idx.size {
		return nil, 0, nil, fmt.Errorf("%s: member %s: offset %d outside the stream", s.idx.path, QuoteName(s.member), off)
	}
	i := s.idx.frameAt(off)
	d, err := s.frame(i)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("%s: member %s: %w", s.idx.path, QuoteName(s.member), err)
	}
	return d.data, s.idx.starts[i], func() { s.unpin(d) }, nil
}

// frame returns frame i decoded and pinned: the caller unpins it when it
// no longer reads its data. Two readers wanting the same frame decode it
// once; different frames decode concurrently.
//
// Once the member is located, a miss on the frame after the previous
// miss, and the first use of a frame read ahead, start decoding the next
// frame in the background: on two cores that took reading a member from
// start to end from 1.07 to 1.69 GB/s (BenchmarkMemberReader/sequential,
// opening included) and left scattered reads as they were. While tar
// looks for the member, the frame after a header is most often data it
// skips.
func (s *frameReader) frame(i int) (*decodedFrame, error) {
	s.mu.Lock()
	s.tick++
	d, ok := s.cache[i]
	if ok {
		d.used = s.tick
		if d.ahead {
			d.ahead = false
			s.readAhead(i + 1)
		}
	} else {
		d = &decodedFrame{ready: make(chan struct{}), used: s.tick}
		s.cache[i] = d
		if s.ahead && s.lastMiss == i-1 {
			s.readAhead(i + 1)
		}
		s.lastMiss = i
	}
	d.pins++
	s.mu.Unlock()
	if !ok {
		s.fill(i, d)
	}
	<-d.ready
	if d.err != nil {
		s.unpin(d)
		return nil, d.err
	}
	return d, nil
}

// unpin ends a reader's hold on d's data, recycling its buffer if d was
// evicted meanwhile.
func (s *frameReader) unpin(d *decodedFrame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d.pins--
	if d.pins == 0 && d.evicted {
		s.recycle(d)
	}
}

// discard ends a reader's hold on frame i, d, and drops it from the cache:
// a sequential reader is through with it, and its buffer can take the
// frame being read ahead next.
func (s *frameReader) discard(i int, d *decodedFrame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d.pins--
	if s.cache[i] == d && d.done {
		delete(s.cache, i)
		s.held -= int64(cap(d.buf))
		d.evicted = true
	}
	if d.pins == 0 && d.evicted {
		s.recycle(d)
	}
}

// readAhead has the read-ahead decoder decode frames from i on, up to
// s.depth of them, unless they are cached, being decoded, or past the
// member; one decoder goroutine decodes them in order, so that reading
// ahead takes at most one core from the reader. The caller holds s.mu.
func (s *frameReader) readAhead(i int) {
	if i >= s.aheadEnd {
		return
	}
	if i > s.aheadNext || i+s.depth < s.aheadNext {
		s.aheadNext = i // a jump: the frames skipped are not wanted
	}
	s.aheadTo = min(i+s.depth, s.aheadEnd)
	if !s.aheadRunning && s.aheadNext < s.aheadTo {
		s.aheadRunning = true
		go s.decodeAhead()
	}
}

// decodeAhead decodes the frames readAhead asks for, in order, until it
// has caught up with them.
func (s *frameReader) decodeAhead() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.aheadNext < s.aheadTo && !s.closed {
		i := s.aheadNext
		s.aheadNext++
		if _, ok := s.cache[i]; ok {
			continue
		}
		d := &decodedFrame{ready: make(chan struct{}), used: s.tick, ahead: true}
		s.cache[i] = d
		s.mu.Unlock()
		s.fill(i, d)
		s.mu.Lock()
	}
	s.aheadRunning = false
}

// fill decodes frame i into d, the cache's entry for it, and wakes the
// readers waiting for it.
func (s *frameReader) fill(i int, d *decodedFrame) {
	data, buf, err := s.decode(i)
	s.mu.Lock()
	d.data, d.buf, d.err, d.done = data, buf, err, true
	switch {
	case err != nil:
		if s.cache[i] == d {
			delete(s.cache, i) // a later read tries again
		}
	case s.cache[i] != d: // dropped by close while decoding
		d.evicted = true
	default:
		s.held += int64(cap(buf))
		s.evict(d)
	}
	s.mu.Unlock()
	close(d.ready)
}

// evict drops the least recently used decoded frames, keeping keep, until
// the cache holds at most s.limit bytes. The caller holds s.mu.
func (s *frameReader) evict(keep *decodedFrame) {
	for s.held > s.limit {
		victim, oldest := -1, uint64(0)
		for i, d := range s.cache {
			if d.done && d != keep && (victim < 0 || d.used < oldest) {
				victim, oldest = i, d.used
			}
		}
		if victim < 0 {
			return
		}
		d := s.cache[victim]
		delete(s.cache, victim)
		s.held -= int64(cap(d.buf))
		d.evicted = true
		if d.pins == 0 {
			s.recycle(d)
		}
	}
}

// recycle gives the buffer of d, evicted and unpinned, to later decodes.
// Only full-size frame buffers are worth keeping. The caller holds s.mu.
func (s *frameReader) recycle(d *decodedFrame) {
	if cap(d.buf) == frameBlock {
		b := d.buf[:0]
		framePool.Put(&b)
	}
	d.data, d.buf = nil, nil
}

// buffer returns a buffer of at least n bytes for a decoded frame: a
// recycled one for a frame of most of frameBlock, else a new one. A
// small frame (a tar header) gets a buffer of its size, so that the
// cache's bound counts what it holds.
func (s *frameReader) buffer(n int64) []byte {
	if n <= frameBlock/2 || n > frameBlock {
		return make([]byte, n)
	}
	if b := framePool.Get().(*[]byte); cap(*b) == frameBlock {
		return (*b)[:frameBlock]
	}
	return make([]byte, frameBlock)
}

// decode reads and decodes frame i, checking its content checksum and
// that it decodes to the size its header declares. It returns the decoded
// bytes and the buffer they lie in.
func (s *frameReader) decode(i int) ([]byte, []byte, error) {
	s.life.RLock()
	defer s.life.RUnlock()
	if s.closed {
		return nil, nil, os.ErrClosed
	}
	fs := s.idx.frames[i]
	s.idx.decodes[i].Add(1)
	sp := srcPool.Get().(*[]byte)
	if int64(cap(*sp)) < fs.size {
		*sp = make([]byte, fs.size)
	}
	defer func() {
		if cap(*sp) <= maxPooledSrc {
			srcPool.Put(sp)
		}
	}()
	src := (*sp)[:fs.size]
	if _, err := s.idx.r.ReadAt(src, fs.off); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, fmt.Errorf("frame at offset %#x cut: the file shrank: %w", fs.off, ErrCorrupt)
		}
		return nil, nil, fmt.Errorf("reading frame at offset %#x: %w", fs.off, err)
	}
	if s.idx.sums != nil && sha256.Sum256(src) != s.idx.sums[i] {
		return nil, nil, fmt.Errorf("frame at offset %#x does not hash to what the frame table lists: %w", fs.off, ErrCorrupt)
	}
	buf := s.buffer(fs.content)
	out, err := s.idx.dec.DecodeAll(src, buf[:0:fs.content])
	if err != nil {
		return nil, nil, fmt.Errorf("frame at offset %#x: %w: %w", fs.off, ErrCorrupt, err)
	}
	if int64(len(out)) != fs.content {
		return nil, nil, fmt.Errorf("frame at offset %#x decodes to %d bytes, its header says %d: %w", fs.off, len(out), fs.content, ErrCorrupt)
	}
	s.decoded.Add(int64(len(out)))
	return out, buf, nil
}

// close releases the stream's reference to the index once no decode is
// running; decodes after it fail with os.ErrClosed.
func (s *frameReader) close() error {
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return nil
	}
	s.mu.Lock()
	s.closed = true
	for _, d := range s.cache {
		// Decodes are over; a frame a reader still copies from is left
		// to the garbage collector.
		if d.done && d.pins == 0 {
			s.recycle(d)
		}
	}
	s.cache, s.held = map[int]*decodedFrame{}, 0
	s.mu.Unlock()
	s.idx.release()
	return nil
}
