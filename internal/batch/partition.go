package batch

import (
	"context"
	"sync"

	"github.com/coroner/coroner/internal/blobstore"
)

// identity is an input's key as keyOf computes it, kept so the input is
// opened for it once.
type identity struct {
	key     string
	archive bool
	err     error
	// size and mtime are the input's version the key was read from, when
	// stat is set.
	size, mtime int64
	stat        bool
}

// partition returns the inputs o.Shard owns, in order, and the identities
// it computed for them, with o.Jobs inputs opened at once. An input whose
// key cannot be read is owned by the shard its name falls in, so exactly
// one shard reports its failure.
func (r *runner) partition(ctx context.Context, inputs []string) ([]string, map[string]identity) {
	ids := make([]identity, len(inputs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(r.o.Jobs, max(len(inputs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				ids[i] = r.identify(ctx, inputs[i])
			}
		}()
	}
	for i := range inputs {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	var owned []string
	known := make(map[string]identity, len(inputs)/max(r.o.Shard.Count, 1)+1)
	for i, in := range inputs {
		id := ids[i]
		by := id.key
		if id.err != nil || by == "" {
			by = in
		}
		if r.o.Shard.Owns(by) {
			owned = append(owned, in)
			if id.key != "" || id.err != nil {
				known[in] = id
			}
		}
	}
	return owned, known
}

// identify returns input's identity. A local file's key is the one its
// record holds when the same file (size and modification time) was done
// before, else keyOf's. An object's comes from one ranged read of its head
// (keyOfObject), which costs no more than reading its record would; only
// an attachment, whose key hashes all of it, is looked up in its record.
func (r *runner) identify(ctx context.Context, input string) identity {
	if blobstore.IsURL(input) {
		return keyOfObject(ctx, input, func(size, mtime int64) string {
			return r.recordedKey(ctx, input, size, mtime)
		})
	}
	size, mtime, err := statInput(ctx, input)
	if err != nil {
		return identity{err: err}
	}
	id := identity{size: size, mtime: mtime, stat: true}
	if id.key = r.recordedKey(ctx, input, size, mtime); id.key != "" {
		id.archive = !isAttachmentKey(id.key)
		return id
	}
	id.key, id.archive, id.err = keyOf(input)
	return id
}

// recordedKey is the key input's record holds if the record is of the
// same version (size and modification time), else "".
func (r *runner) recordedKey(ctx context.Context, input string, size, mtime int64) string {
	var rec record
	if r.out.readJSON(ctx, r.recordPath(input), &rec) == nil && rec.Size == size && rec.ModTime == mtime {
		return rec.Key
	}
	return ""
}

// identityOf returns input's identity, from partition when it computed one.
func (r *runner) identityOf(ctx context.Context, input string) (string, bool, error) {
	if id, ok := r.ids[input]; ok {
		return id.key, id.archive, id.err
	}
	return keyOfInput(ctx, input)
}

// version returns input's size and modification time, as partition read
// them when it did, saving a second request for an object.
func (r *runner) version(ctx context.Context, input string) (size, mtime int64, err error) {
	if id, ok := r.ids[input]; ok && id.stat {
		return id.size, id.mtime, nil
	}
	return statInput(ctx, input)
}
