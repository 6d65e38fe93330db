package batch

import (
	"context"
	"sync"
)

// identity is an input's key as keyOf computes it, kept so the input is
// opened for it once.
type identity struct {
	key     string
	archive bool
	err     error
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

// identify returns input's identity: the key its record holds when the
// same file (size and modification time) was done before, else keyOf's.
func (r *runner) identify(ctx context.Context, input string) identity {
	size, mtime, err := statInput(ctx, input)
	if err != nil {
		return identity{err: err}
	}
	var rec record
	if r.out.readJSON(ctx, r.recordPath(input), &rec) == nil && rec.Size == size && rec.ModTime == mtime && rec.Key != "" {
		return identity{key: rec.Key, archive: !isAttachmentKey(rec.Key)}
	}
	key, archive, err := keyOfInput(ctx, input)
	return identity{key: key, archive: archive, err: err}
}

// identityOf returns input's identity, from partition when it computed one.
func (r *runner) identityOf(ctx context.Context, input string) (string, bool, error) {
	if id, ok := r.ids[input]; ok {
		return id.key, id.archive, id.err
	}
	return keyOfInput(ctx, input)
}
