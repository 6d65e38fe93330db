package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Sizes of the ranged requests a HeadReader makes. The first request is
// sized to hold a manifest frame: an archive's manifest is its first
// frame, a few hundred bytes of JSON per artifact compressing to a few
// KiB for the tens of artifacts an incident holds. Each further request
// doubles, up to headMaxChunk, so that reading an object far beyond its
// head costs a number of requests logarithmic in what is read, then one
// per 8 MiB (the part size the AWS SDK's downloader uses).
const (
	headFirstChunk = 16 << 10
	headMaxChunk   = 8 << 20
)

// HeadReader reads an object from its start through ranged requests that
// grow as it goes: a reader that stops after the first few KiB (an
// archive's manifest) has fetched only those, not a response body of the
// whole object cut short. It is not safe for concurrent use.
type HeadReader struct {
	ctx   context.Context
	loc   *Location
	key   string
	attrs Attributes
	off   int64 // the object's offset of the next byte to read
	chunk int64 // the size of the next request
	cur   io.ReadCloser
	left  int64 // bytes of cur not yet read
}

// OpenHead starts reading key from its first byte and returns the reader
// with the object's attributes, both from one ranged request.
func (l *Location) OpenHead(ctx context.Context, key string) (*HeadReader, error) {
	h := &HeadReader{ctx: ctx, loc: l, key: key, chunk: headFirstChunk}
	err := h.next()
	if err == nil || errors.Is(err, ErrNotExist) {
		return h, err
	}
	// A store may refuse any range of an empty object (S3 answers 416
	// InvalidRange): one plain read of the object then serves.
	r, rerr := l.Bucket.NewReader(ctx, key, nil)
	if rerr != nil {
		return nil, err
	}
	h.attrs = Attributes{Size: r.Size(), ModTime: r.ModTime()}
	h.cur, h.left = r, r.Size()
	return h, nil
}

// next opens the ranged request starting at h.off.
func (h *HeadReader) next() error {
	r, err := h.loc.Bucket.NewRangeReader(h.ctx, h.key, h.off, h.chunk, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", h.loc.name(h.key), wrapNotFound(err))
	}
	if h.cur == nil && h.off == 0 {
		h.attrs = Attributes{Size: r.Size(), ModTime: r.ModTime()}
	}
	h.cur, h.left = r, min(h.chunk, max(h.attrs.Size-h.off, 0))
	h.chunk = min(2*h.chunk, headMaxChunk)
	return nil
}

// Attributes are the object's size and modification time, as the first
// response gave them.
func (h *HeadReader) Attributes() Attributes { return h.attrs }

// Read reads the object's next bytes, issuing the next ranged request
// when the current one is used up; it returns io.EOF at the object's end.
func (h *HeadReader) Read(p []byte) (int, error) {
	for h.left == 0 {
		if h.off >= h.attrs.Size {
			return 0, io.EOF
		}
		h.cur.Close()
		if err := h.next(); err != nil {
			return 0, err
		}
	}
	n, err := h.cur.Read(p[:min(int64(len(p)), h.left)])
	h.off += int64(n)
	h.left -= int64(n)
	switch {
	case err == io.EOF && h.left > 0:
		return n, fmt.Errorf("%s: response ended at offset %#x, %d bytes early: %w", h.loc.name(h.key), h.off, h.left, io.ErrUnexpectedEOF)
	case err == io.EOF:
		err = nil
	}
	return n, err
}

// Close ends the current request.
func (h *HeadReader) Close() error { return h.cur.Close() }
