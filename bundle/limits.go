package bundle

import (
	"errors"
	"fmt"
	"io"
)

// Limits bound what one ingest may read, so that a hostile or mistaken input
// (a zip bomb, a tar claiming a terabyte) fails with a clear error instead of
// filling the disk or the memory.
type Limits struct {
	// MaxTotalBytes caps the sum of all decompressed artifact bytes.
	MaxTotalBytes int64
	// MaxMemberBytes caps one artifact's decompressed size.
	MaxMemberBytes int64
	// MaxMembers caps the number of files taken from all inputs together.
	MaxMembers int
}

// Default limits. A Go service's core is roughly its heap plus stacks; the
// largest services coroner is meant for run heaps of tens of GiB, so one
// member may be 64 GiB and an incident 128 GiB. An incident is a handful of
// artifacts; 10 000 members leaves room for per-goroutine dumps while
// stopping zips that claim millions of entries.
const (
	DefaultMaxTotalBytes  = 128 << 30
	DefaultMaxMemberBytes = 64 << 30
	DefaultMaxMembers     = 10000
)

// DefaultLimits returns the limits used when none are given.
func DefaultLimits() Limits {
	return Limits{MaxTotalBytes: DefaultMaxTotalBytes, MaxMemberBytes: DefaultMaxMemberBytes, MaxMembers: DefaultMaxMembers}
}

// orDefault fills zero fields with the defaults.
func (l Limits) orDefault() Limits {
	d := DefaultLimits()
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = d.MaxTotalBytes
	}
	if l.MaxMemberBytes <= 0 {
		l.MaxMemberBytes = d.MaxMemberBytes
	}
	if l.MaxMembers <= 0 {
		l.MaxMembers = d.MaxMembers
	}
	return l
}

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

// newCappedReader caps r at max bytes; what names the limit in the error.
func newCappedReader(r io.Reader, max int64, what string) *cappedReader {
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
