package batch

import (
	"context"

	"github.com/coroner/coroner/internal/blobstore"
)

// childInput returns the child's arguments for input and what to call
// once the child is done. An archive in an object store with a frame
// table is handed over by its URL, to be analysed where it lies (the
// child reads only the frames its analyzers need), unless Verify asks for
// every member to be re-hashed, which reads every byte anyway; anything
// else is fetched whole into a local file (LocalInput), which done
// removes.
func (r *runner) childInput(ctx context.Context, input string, archive bool) (args childArgs, done func(), err error) {
	args = childArgs{Options: r.o.Analyze, Verify: r.o.Verify, CacheMax: r.o.CacheMax}
	if archive && !r.o.Verify && blobstore.IsURL(input) {
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
