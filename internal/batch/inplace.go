package batch

import (
	"context"
	"errors"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/blobstore"
)

// OpenInPlace opens the archive at the object-store URL input where it
// lies, read by ranged requests through its frame table
// (blobstore.OpenArchive), core or not: the census's child opens the
// object by its URL itself (analyze/driver.AnalyzeObject). It returns
// nil, with no error, when the archive must be fetched whole instead
// (LocalInput): it has no frame table, or the object cannot be read by
// ranges.
func OpenInPlace(ctx context.Context, input string) (*bundle.Archive, error) {
	a, err := blobstore.OpenArchive(ctx, input)
	switch {
	case errors.Is(err, blobstore.ErrNoRangedRead), errors.Is(err, bundle.ErrNoFrameTable), errors.Is(err, bundle.ErrNotArchive):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return a, nil
}
