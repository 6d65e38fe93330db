package bundle

import (
	"errors"
	"fmt"
	"io"
)

// ErrTooLarge reports that an input exceeded one of the Limits.
var ErrTooLarge = errors.New("exceeds limit")

// cappedReader fails with ErrTooLarge once more than max bytes were read,
// rather than silently truncating like io.LimitReader.
type cappedReader struct {
	r    io.Reader
	n    int64 // bytes read so far
	max  int64
	what string
}

// NewCappedReader caps r at max bytes; what names the limit in the error.
func NewCappedReader(r io.Reader, max int64, what string) *cappedReader {
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
