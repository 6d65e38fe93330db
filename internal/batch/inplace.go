package batch

import (
	"context"
	"errors"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/blobstore"
)

// OpenInPlace opens the archive at the object-store URL input where it
// lies, read by ranged requests through its frame table
// (bundle.OpenReaderAt). It returns nil, with no error, when the archive
// must be fetched whole instead (LocalInput): it has no frame table, or
// it holds a core, which the census reads in a child process that opens
// the archive as a local file.
func OpenInPlace(ctx context.Context, input string) (*bundle.Archive, error) {
	loc, err := blobstore.Open(ctx, input)
	if err != nil {
		return nil, err
	}
	o, err := loc.OpenReaderAt(ctx, loc.Key)
	if err != nil {
		return nil, nil // an empty object, or a store refusing ranges: fetched whole
	}
	a, err := bundle.OpenReaderAt(o, o.Size(), o.Name())
	switch {
	case errors.Is(err, bundle.ErrNoFrameTable), errors.Is(err, bundle.ErrNotArchive):
		return nil, nil
	case err != nil:
		return nil, err
	}
	for _, art := range a.Manifest().Artifacts {
		if art.Kind == bundle.KindCore {
			a.Close()
			return nil, nil
		}
	}
	return a, nil
}
