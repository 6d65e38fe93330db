package capture

import (
	"context"
	"errors"

	"github.com/coroner/coroner/bundle"
)

// ingest turns the staging directory into the archive.
func ingest(ctx context.Context, o *Options, dir string, c *bundle.Capture) (*bundle.Manifest, error) {
	return nil, errors.New("ingest not available yet")
}
