package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/coroner/coroner/internal/blobstore"
)

// ingestDestination returns where ingest writes the archive: out itself,
// or for an object-store URL a temporary file that publish uploads (the
// object appears whole or not at all) and cleanup removes.
func ingestDestination(out string) (local string, publish func(context.Context) error, cleanup func(), err error) {
	if !blobstore.IsURL(out) {
		return out, func(context.Context) error { return nil }, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "coroner-ingest-")
	if err != nil {
		return "", nil, nil, err
	}
	local = filepath.Join(dir, "incident.tar.zst")
	publish = func(ctx context.Context) error {
		loc, err := blobstore.Open(ctx, out)
		if err != nil {
			return err
		}
		if err := loc.Upload(ctx, loc.Key, local); err != nil {
			return fmt.Errorf("uploading the archive: %w", err)
		}
		return nil
	}
	return local, publish, func() { os.RemoveAll(dir) }, nil
}

// displayName is a path, or a URL without its secrets, for output.
func displayName(s string) string {
	if blobstore.IsURL(s) {
		return blobstore.Redact(s)
	}
	return s
}
