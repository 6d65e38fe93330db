package capture

import (
	"context"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/bundle/ingest"
)

// pack turns the staging directory into the archive through the same
// code path as `coroner ingest`, with the step record in the manifest.
func pack(ctx context.Context, o *Options, dir string, c *bundle.Capture) (*bundle.Manifest, error) {
	return ingest.Run(ctx, ingest.Options{
		Inputs:  []string{dir},
		Output:  o.Output,
		ID:      o.ID,
		Title:   o.Title,
		Labels:  o.Labels,
		Capture: c,
		Limits:  ingest.DefaultLimits(),
		Log:     o.Log,
	})
}
