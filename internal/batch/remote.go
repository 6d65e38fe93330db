package batch

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/blobstore"
)

// Inputs may be local files or object-store URLs (see Expand). These
// helpers give both the same treatment.

// statInput returns what tells one version of input from another: its
// size and modification time.
func statInput(ctx context.Context, input string) (size, mtime int64, err error) {
	if !blobstore.IsURL(input) {
		st, err := os.Stat(input)
		if err != nil {
			return 0, 0, err
		}
		return st.Size(), st.ModTime().UnixNano(), nil
	}
	loc, err := blobstore.Open(ctx, input)
	if err != nil {
		return 0, 0, err
	}
	a, err := loc.Stat(ctx, loc.Key)
	if err != nil {
		return 0, 0, err
	}
	return a.Size, a.ModTime.UnixNano(), nil
}

// keyOfInput is keyOf for a local file or an object (see keyOfObject).
func keyOfInput(ctx context.Context, input string) (key string, archive bool, err error) {
	if !blobstore.IsURL(input) {
		return keyOf(input)
	}
	id := keyOfObject(ctx, input, nil)
	return id.key, id.archive, id.err
}

// keyOfObject returns the identity of the object input from its head, read
// with ranged requests (blobstore.HeadReader): the first one gives the
// object's size and modification time, and for an archive the manifest
// and so the digest, so one request of a few KiB identifies it. An
// attachment's key hashes the whole object as it streams, unless known,
// given its size and modification time, returns the key an earlier run
// recorded for it.
func keyOfObject(ctx context.Context, input string, known func(size, mtime int64) string) identity {
	loc, err := blobstore.Open(ctx, input)
	if err != nil {
		return identity{err: err}
	}
	r, err := loc.OpenHead(ctx, loc.Key)
	if err != nil {
		return identity{err: err}
	}
	defer r.Close()
	a := r.Attributes()
	id := identity{size: a.Size, mtime: a.ModTime.UnixNano(), stat: true}
	whole := bufio.NewReader(r)
	head, _ := whole.Peek(len(bundle.ArchiveMagic))
	name := blobstore.Redact(input)
	if bundle.HasArchiveMagic(head) {
		id.archive = true
		if id.key, err = bundle.DigestReader(whole, name); err != nil {
			id.key, id.err = "", fmt.Errorf("opening archive %s: %w", name, err)
		}
		return id
	}
	if hasArchiveName(loc.Key) {
		id.archive, id.err = true, notArchiveError(name)
		return id
	}
	if known != nil {
		if id.key = known(id.size, id.mtime); id.key != "" {
			return id
		}
	}
	_, sum, err := bundle.SumSHA256(whole)
	if err != nil {
		id.err = fmt.Errorf("hashing %s: %w", name, err)
		return id
	}
	id.key = attachmentPrefix + sum
	return id
}

// fetchedDir is where objects are fetched for analysis: beside the
// extraction cache, on the disk sized for it.
func fetchedDir() (string, error) {
	d, err := bundle.CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "fetched"), nil
}

// LocalInput returns a local file holding input: input itself, or its
// object fetched (an archive's seal checked as it arrives: sealed says it
// was, so the file need not be hashed again). done removes a fetched copy
// once the analysis is over, so fetched archives take disk only while in
// use.
func LocalInput(ctx context.Context, input string) (path string, sealed bool, done func(), err error) {
	if !blobstore.IsURL(input) {
		return input, false, func() {}, nil
	}
	loc, err := blobstore.Open(ctx, input)
	if err != nil {
		return "", false, nil, err
	}
	dir, err := fetchedDir()
	if err != nil {
		return "", false, nil, err
	}
	p, sealed, err := loc.Fetch(ctx, loc.Key, dir)
	if err != nil {
		return "", false, nil, err
	}
	return p, sealed, func() { os.Remove(p) }, nil
}
