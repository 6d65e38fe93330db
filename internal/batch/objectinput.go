package batch

import (
	"context"

	"github.com/coroner/coroner/internal/blobstore"
)

// inPlaceMinSize is the smallest object analysed where it lies. Opening
// an archive in place reads its tail and manifest in ranges of at least
// 64 KiB (blobstore's ObjectReader), in the parent and again in the child,
// which also starts an object-store client of its own: about four requests
// and 256 KiB. An object under 1 MiB fetched whole moves at most four
// times that in one request, with no client in the child; measured on 200
// archives of 6.5 KiB (BenchmarkFleet), reading them in place cost 18 %
// more CPU than local files.
const inPlaceMinSize = 1 << 20

// childInput returns the child's arguments for input, an object of size
// bytes when it is one, and what to call once the child is done. An
// archive in an object store with a frame table, of at least
// inPlaceMinSize, is handed over by its URL, to be analysed where it lies
// (the child reads only the frames its analyzers need), unless Verify asks
// for every member to be re-hashed, which reads every byte anyway;
// anything else is fetched whole into a local file (LocalInput), which
// done removes.
func (r *runner) childInput(ctx context.Context, input string, archive bool, size int64) (args childArgs, done func(), err error) {
	args = childArgs{Options: r.o.Analyze, Verify: r.o.Verify, CacheMax: r.o.CacheMax}
	if archive && !r.o.Verify && blobstore.IsURL(input) && size >= inPlaceMinSize {
		a, err := OpenInPlace(ctx, input)
		if err != nil {
			return args, nil, err
		}
		if a != nil {
			a.Close()
			args.Input, args.Object = input, true
			return args, func() {}, nil
		}
	}
	local, sealed, done, err := LocalInput(ctx, input)
	if err != nil {
		return args, nil, err
	}
	args.Input, args.Sealed = local, sealed
	return args, done, nil
}
