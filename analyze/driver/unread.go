package driver

import (
	"fmt"
	"io"

	"github.com/coroner/coroner/bundle"
)

// unread is the source of an input whose ingest was cut short: a manifest
// with no artifact.
type unread struct{ m *bundle.Manifest }

func (u unread) Manifest() *bundle.Manifest { return u.m }

func (u unread) Open(a bundle.Artifact) (io.ReadCloser, error) {
	return nil, fmt.Errorf("%s: %w", a.Path, bundle.ErrNotFound)
}

func (u unread) Path(a bundle.Artifact) (string, error) {
	return "", fmt.Errorf("%s: %w", a.Path, bundle.ErrNotFound)
}
