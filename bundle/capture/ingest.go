package capture

import (
	"context"

	"github.com/coroner/coroner/bundle"
)

// ingest turns the staging directory into the archive through the same
// code path as `coroner ingest`, with the step record in the manifest.
func ingest(ctx context.Context, o *Options, dir string, c *bundle.Capture) (*bundle.Manifest, error) {
	return bundle.Ingest(ctx, bundle.IngestOptions{
		Inputs:  []string{dir},
		Output:  o.Output,
		ID:      o.ID,
		Title:   o.Title,
		Labels:  o.Labels,
		Capture: c,
		Limits:  bundle.DefaultLimits(),
		Log:     o.Log,
	})
}
