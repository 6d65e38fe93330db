package blobstore

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// Bounds of an ObjectReader's ranged requests and of what it keeps.
// A request is at least objectMinRead long: an archive's reads through
// bundle.OpenReaderAt are a tail of tens of KiB, a manifest of a few KiB
// and frames of at most a few MiB (coroner cuts a frame every 4 MiB of
// decoded data), so a small read is rounded up to what the next read
// most likely needs rather than costing a request of its own.
//
// It keeps the most recent responses up to objectCacheBytes in all, each
// at most objectMaxCached (the 8 MiB of headMaxChunk): a frame read twice
// costs one request. The bound is in bytes, not responses: a core's
// census reads runs of small frames (mostly zeros, a hundred KiB each)
// between its passes over large ones (heap data, 4 MiB each), and a
// count of responses let a run of small ones push out large ones the
// next pass read again, so that in place it fetched more than the whole
// object. Memory stays under objectCacheBytes whatever the object's size.
const (
	objectMinRead    = 64 << 10
	objectMaxCached  = headMaxChunk
	objectCacheBytes = 8 * objectMaxCached
)

// ObjectReader reads an object at any offset through ranged requests,
// keeping its recent responses up to a byte budget: an io.ReaderAt over a
// blob. It is safe for concurrent use.
type ObjectReader struct {
	ctx   context.Context
	loc   *Location
	key   string
	attrs Attributes

	mu     sync.Mutex
	ranges []cachedRange // most recent last
	kept   int64         // bytes in ranges
}

type cachedRange struct {
	off  int64
	data []byte
}

// OpenReaderAt returns a reader of key at any offset and the object's
// attributes, read with the object's first ranged request.
func (l *Location) OpenReaderAt(ctx context.Context, key string) (*ObjectReader, error) {
	o := &ObjectReader{ctx: ctx, loc: l, key: key}
	r, err := l.Bucket.NewRangeReader(ctx, key, 0, objectMinRead, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.name(key), wrapNotFound(err))
	}
	defer r.Close()
	o.attrs = Attributes{Size: r.Size(), ModTime: r.ModTime()}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: reading offset 0: %w", l.name(key), err)
	}
	o.keep(0, b)
	return o, nil
}

// Attributes are the object's size and modification time.
func (o *ObjectReader) Attributes() Attributes { return o.attrs }

// Size is the object's size in bytes.
func (o *ObjectReader) Size() int64 { return o.attrs.Size }

// Name is the object's URL, redacted for messages.
func (o *ObjectReader) Name() string { return o.loc.name(o.key) }

// ReadAt reads len(p) bytes from offset off, as io.ReaderAt does: from a
// kept range when one holds them, else with one ranged request.
func (o *ObjectReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%s: negative offset %d", o.Name(), off)
	}
	if off >= o.attrs.Size {
		return 0, io.EOF
	}
	want := len(p)
	p = p[:min(int64(want), o.attrs.Size-off)]
	if o.cached(p, off) {
		return o.short(len(p), want)
	}
	n := max(int64(len(p)), objectMinRead)
	n = min(n, o.attrs.Size-off)
	r, err := o.loc.Bucket.NewRangeReader(o.ctx, o.key, off, n, nil)
	if err != nil {
		return 0, fmt.Errorf("%s: reading %d bytes at offset %#x: %w", o.Name(), n, off, wrapNotFound(err))
	}
	defer r.Close()
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return 0, fmt.Errorf("%s: reading %d bytes at offset %#x: %w", o.Name(), n, off, err)
	}
	copy(p, b)
	if n <= objectMaxCached {
		o.keep(off, b)
	}
	return o.short(len(p), want)
}

// short returns what ReadAt returns having read n of the want bytes asked.
func (o *ObjectReader) short(n, want int) (int, error) {
	if n < want {
		return n, io.EOF
	}
	return n, nil
}

// cached fills p from a kept range holding all of [off, off+len(p)).
func (o *ObjectReader) cached(p []byte, off int64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.ranges) - 1; i >= 0; i-- {
		c := o.ranges[i]
		if off >= c.off && off+int64(len(p)) <= c.off+int64(len(c.data)) {
			copy(p, c.data[off-c.off:])
			return true
		}
	}
	return false
}

// keep adds a range, dropping the oldest beyond objectCacheBytes.
func (o *ObjectReader) keep(off int64, b []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ranges = append(o.ranges, cachedRange{off: off, data: b})
	o.kept += int64(len(b))
	drop := 0
	for o.kept > objectCacheBytes {
		o.kept -= int64(len(o.ranges[drop].data))
		drop++
	}
	o.ranges = append(o.ranges[:0], o.ranges[drop:]...)
}
