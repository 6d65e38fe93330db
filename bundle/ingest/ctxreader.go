package ingest

import (
	"context"
	"io"
)

// ctxReader stops reading once ctx is done, so Ctrl-C interrupts a copy of
// a large core promptly.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
