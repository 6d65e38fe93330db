package bundle

import (
	"errors"
	"fmt"
	"io"
)

// ErrTooLarge reports an input over a size limit: one of ingest's
// Limits, or a bound of the decompressors (a zstd window, an xz
// dictionary).
var ErrTooLarge = errors.New("exceeds limit")

// cappedReader fails with ErrTooLarge once more than max bytes were read,
// rather than silently truncating like io.LimitReader.
type cappedReader struct {
	r    io.Reader
	n    int64 // bytes read so far
	max  int64
	what string
}

// NewCappedReader caps r at max bytes: reading past them fails with an
// error wrapping ErrTooLarge, in which what names the limit.
func NewCappedReader(r io.Reader, max int64, what string) io.Reader {
	return &cappedReader{r: r, max: max, what: what}
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.n > c.max {
		return 0, fmt.Errorf("decompressed size %s: %w", c.what, ErrTooLarge)
	}
	if rem := c.max - c.n + 1; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		return n, fmt.Errorf("decompressed size exceeds %s (%d bytes): %w", c.what, c.max, ErrTooLarge)
	}
	return n, err
}
