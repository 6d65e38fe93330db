package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// ErrNotExist is returned (wrapped) for a key that is not in its bucket.
var ErrNotExist = os.ErrNotExist

// wrapNotFound turns gocloud's NotFound into ErrNotExist.
func wrapNotFound(err error) error {
	if gcerrors.Code(err) == gcerrors.NotFound {
		return fmt.Errorf("%w: %w", ErrNotExist, err)
	}
	return err
}

// Attributes are what a listing or a stat tells of an object: enough to
// know whether it changed since it was last seen.
type Attributes struct {
	Size    int64
	ModTime time.Time
	ETag    string
}

// Stat returns key's attributes.
func (l *Location) Stat(ctx context.Context, key string) (Attributes, error) {
	a, err := l.Bucket.Attributes(ctx, key)
	if err != nil {
		return Attributes{}, fmt.Errorf("%s: %w", l.name(key), wrapNotFound(err))
	}
	return Attributes{Size: a.Size, ModTime: a.ModTime, ETag: a.ETag}, nil
}

// Exists reports whether key is an object.
func (l *Location) Exists(ctx context.Context, key string) (bool, error) {
	ok, err := l.Bucket.Exists(ctx, key)
	if err != nil {
		return false, fmt.Errorf("%s: %w", l.name(key), err)
	}
	return ok, nil
}

// ReadAll reads key whole, refusing objects larger than limit bytes.
func (l *Location) ReadAll(ctx context.Context, key string, limit int64) ([]byte, error) {
	r, err := l.Bucket.NewReader(ctx, key, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.name(key), wrapNotFound(err))
	}
	defer r.Close()
	if r.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes exceeds the %d-byte limit", l.name(key), r.Size(), limit)
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.name(key), err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: over the %d-byte limit", l.name(key), limit)
	}
	return b, nil
}

// Write stores what write produces under key atomically: the object
// appears whole when write and the upload succeed, and not at all (any
// earlier object under key stays) when either fails or ctx ends. Object
// stores publish an upload only when it completes; file:// writes beside
// the final name and renames.
func (l *Location) Write(ctx context.Context, key string, write func(io.Writer) error) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := l.Bucket.NewWriter(wctx, key, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return fmt.Errorf("%s: %w", l.name(key), err)
	}
	if err := write(w); err != nil {
		cancel() // abandons the upload
		w.Close()
		return fmt.Errorf("writing %s: %w", l.name(key), err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", l.name(key), err)
	}
	return nil
}

// Upload copies the local file path to key atomically (see Write).
func (l *Location) Upload(ctx context.Context, key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return l.Write(ctx, key, func(w io.Writer) error {
		_, err := io.Copy(w, f)
		return err
	})
}

// List returns the keys under l's key (a prefix) that keep accepts, sorted,
// with their attributes.
func (l *Location) List(ctx context.Context, keep func(key string) bool) ([]string, map[string]Attributes, error) {
	it := l.Bucket.List(&blob.ListOptions{Prefix: l.Key})
	var keys []string
	attrs := map[string]Attributes{}
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("listing %s: %w", l.name(l.Key), err)
		}
		if obj.IsDir || !keep(obj.Key) {
			continue
		}
		keys = append(keys, obj.Key)
		attrs[obj.Key] = Attributes{Size: obj.Size, ModTime: obj.ModTime}
	}
	slices.Sort(keys)
	return keys, attrs, nil
}

// NewRangeReader reads length bytes of key from offset (length -1: to the
// end), with a ranged request where the store supports one.
func (l *Location) NewRangeReader(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	r, err := l.Bucket.NewRangeReader(ctx, key, offset, length, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.name(key), wrapNotFound(err))
	}
	return r, nil
}
