package blobstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/coroner/coroner/bundle"
)

// ErrNoRangedRead reports an object that cannot be read by ranged
// requests: an empty object (S3 refuses any range of one), or a store
// that refuses them. Such an object is fetched whole instead.
var ErrNoRangedRead = errors.New("object cannot be read by ranged requests")

// OpenArchive opens the archive in the object at rawURL where it lies:
// bundle.OpenReaderAt over an ObjectReader, reading the tail (the frame
// table, checked against the seal) and the manifest, and then only the
// frames of the members read. An archive without a frame table is refused
// with an error wrapping bundle.ErrNoFrameTable, an object that cannot be
// read by ranges with one wrapping ErrNoRangedRead.
func OpenArchive(ctx context.Context, rawURL string) (*bundle.Archive, error) {
	loc, err := Open(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	o, err := loc.OpenReaderAt(ctx, loc.Key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoRangedRead, err)
	}
	return bundle.OpenReaderAt(o, o.Size(), o.Name())
}
