package bundle

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"sync/atomic"

	"github.com/klauspost/compress/zstd"
)

// frameIndex is an archive's zstd frames indexed by their offset in the
// decoded tar stream, with the file whose seal the walk that built it
// checked and a decoder for its frames. An Archive builds it once and
// shares it among the readers of its members. Each holder has a
// reference; the file and decoder are released with the last one, so a
// reader outlives the Archive it came from.
type frameIndex struct {
	path   string
	frames []frameSpan
	starts []int64 // decoded offset of each frame's first byte
	size   int64   // decoded size of the whole stream
	r      io.ReaderAt
	closer io.Closer // releases r
	// sums holds each frame's SHA-256 from the archive's frame table,
	// checked whenever the frame is decoded; nil for an index built by a
	// walk that checked the seal over every frame.
	sums [][32]byte
	dec  *zstd.Decoder // DecodeAll is safe for concurrent use
	refs atomic.Int64

	// decodes counts each frame's decodes, so that tests can check which
	// frames a read costs.
	decodes []atomic.Int32
}

// buildFrameIndex opens the archive at path and indexes its frames: from
// its frame table when it has one (see newTableIndex), else by a walk of
// its frames checking the seal unless sealed says it was checked before (a
// failure wraps ErrCorrupt, as Verify reports it). Frames that cannot be
// decoded one at a time are refused with an error wrapping
// ErrNoRandomAccess. The caller holds the one reference.
func buildFrameIndex(path string, sealed bool) (*frameIndex, error) {
	f, size, err := OpenSized(path)
	if err != nil {
		return nil, err
	}
	x, err := newTableIndex(f, size, path, f)
	if errors.Is(err, errNoTable) || errors.Is(err, errNoSeal) {
		x, err = walkFrameIndex(f, path, sealed)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return x, nil
}

// newTableIndex indexes the archive r of size bytes (named path) from the
// frame table at its end, checked against the seal with one read of the
// tail (readFrameTable); each frame's SHA-256 is then checked whenever it
// is decoded. An archive without a table gives an error wrapping
// errNoTable (or errNoSeal when it has no seal either). closer, when not
// nil, is closed with the index's last reference.
func newTableIndex(r io.ReaderAt, size int64, path string, closer io.Closer) (*frameIndex, error) {
	records, err := readFrameTable(r, size, path)
	if err != nil {
		return nil, err
	}
	x := &frameIndex{path: path, r: r, closer: closer}
	for _, rec := range records {
		if rec.content <= 0 { // skippable, or nothing to decode
			continue
		}
		if rec.content > maxFrameContent {
			return nil, fmt.Errorf("%s: frame at offset %#x declares %d decoded bytes, over the %d read at random: %w", path, rec.off, rec.content, maxFrameContent, ErrNoRandomAccess)
		}
		x.frames = append(x.frames, frameSpan{off: rec.off, size: rec.size, content: rec.content, checksum: true})
		x.sums = append(x.sums, rec.sum)
		x.starts = append(x.starts, x.size)
		x.size += rec.content
	}
	return x, x.ready()
}

// walkFrameIndex indexes the archive file f by walking its frames from
// the start, checking the seal unless sealed.
func walkFrameIndex(f *os.File, path string, sealed bool) (*frameIndex, error) {
	x := &frameIndex{path: path, r: f, closer: f}
	err := walkFrames(f, path, !sealed, func(fs frameSpan) error {
		if err := randomAccessErr(fs, path); err != nil {
			return err
		}
		if fs.content == 0 {
			return nil
		}
		x.frames = append(x.frames, fs)
		x.starts = append(x.starts, x.size)
		x.size += fs.content
		return nil
	})
	if err != nil {
		return nil, err
	}
	return x, x.ready()
}

// ready makes the index's decoder and its one reference.
func (x *frameIndex) ready() error {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderMaxWindow(maxReadWindow),
		zstd.WithDecoderMaxMemory(maxReadWindow), zstd.WithDecodeAllCapLimit(true))
	if err != nil {
		return fmt.Errorf("%s: zstd: %w", x.path, err)
	}
	x.dec = dec
	x.decodes = make([]atomic.Int32, len(x.frames))
	x.refs.Store(1)
	return nil
}

// randomAccessErr says why frame fs of the archive path cannot be decoded
// on its own, wrapping ErrNoRandomAccess, or returns nil.
func randomAccessErr(fs frameSpan, path string) error {
	switch {
	case fs.content < 0:
		return fmt.Errorf("%s: frame at offset %#x does not declare its decoded size: %w", path, fs.off, ErrNoRandomAccess)
	case fs.content > maxFrameContent:
		return fmt.Errorf("%s: frame at offset %#x declares %d decoded bytes, over the %d read at random: %w", path, fs.off, fs.content, maxFrameContent, ErrNoRandomAccess)
	case !fs.checksum:
		return fmt.Errorf("%s: frame at offset %#x has no content checksum: %w", path, fs.off, ErrNoRandomAccess)
	}
	return nil
}

// frameAt returns the index of the frame holding decoded offset off,
// which is within the stream.
func (x *frameIndex) frameAt(off int64) int {
	return sort.Search(len(x.starts), func(i int) bool { return x.starts[i] > off }) - 1
}

func (x *frameIndex) acquire() { x.refs.Add(1) }

// release drops a reference, closing the file and decoder with the last.
func (x *frameIndex) release() {
	if x.refs.Add(-1) == 0 {
		x.dec.Close()
		if x.closer != nil {
			x.closer.Close()
		}
	}
}

// frameIndexRef is an Archive's own reference to its index. It is dropped
// once, by Close or, for an Archive never closed, when the garbage
// collector frees the Archive: an Archive left unclosed, harmless while
// Close did nothing, then leaks no file.
type frameIndexRef struct {
	x       *frameIndex
	dropped atomic.Bool
	cleanup runtime.Cleanup
}

func (r *frameIndexRef) drop() {
	if r.dropped.CompareAndSwap(false, true) {
		r.x.release()
	}
}

// index returns the archive's frame index with a reference the caller
// must release, building it on first use; concurrent callers wait for
// that one build. A result the file's bytes decide (a bad seal:
// ErrCorrupt; ErrNoRandomAccess) is kept as the index would be; any other
// error, such as failing to open the file, is tried again on the next
// call.
func (a *Archive) index() (*frameIndex, error) {
	a.idxMu.Lock()
	defer a.idxMu.Unlock()
	if a.idx == nil && a.idxErr == nil {
		var x *frameIndex
		var err error
		if a.src != nil {
			x, err = newTableIndex(a.src.r, a.src.size, a.path, nil)
		} else {
			x, err = buildFrameIndex(a.path, a.sealed)
		}
		switch {
		case err == nil:
			a.idx = &frameIndexRef{x: x}
			a.idx.cleanup = runtime.AddCleanup(a, (*frameIndexRef).drop, a.idx)
		case errors.Is(err, ErrCorrupt), errors.Is(err, ErrNoRandomAccess):
			a.idxErr = err
		default:
			return nil, err
		}
	}
	if a.idxErr != nil {
		return nil, a.idxErr
	}
	a.idx.x.acquire()
	return a.idx.x, nil
}
