package batch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
	"github.com/coroner/coroner/internal/blobstore"
)

// output is where a batch stores its records: a local directory, or a
// prefix in an object store (Options.Out an s3://, gs://, … URL). Names
// inside it (rel) use '/' either way.
type output struct {
	dir string              // the local directory, or
	loc *blobstore.Location // the object-store prefix
}

// openOutput opens out, creating a local directory's layout and sweeping
// the temporaries a killed run left there (an object store publishes only
// whole objects, so it has none).
func openOutput(ctx context.Context, out string) (*output, error) {
	if blobstore.IsURL(out) {
		loc, err := blobstore.Open(ctx, out)
		if err != nil {
			return nil, err
		}
		return &output{loc: loc}, nil
	}
	for _, d := range []string{out, filepath.Join(out, resultsDir), filepath.Join(out, inputsDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		// Temporaries of a killed run go; a concurrent run's stay.
		if _, err := bundle.SweepLeftovers(d); err != nil {
			return nil, err
		}
	}
	return &output{dir: out}, nil
}

// name is rel's path or URL, for messages and index sources.
func (o *output) name(rel string) string {
	if o.loc != nil {
		return blobstore.Redact(o.loc.URL(o.loc.Join(rel)))
	}
	return filepath.Join(o.dir, filepath.FromSlash(rel))
}

// exists reports whether rel is stored.
func (o *output) exists(ctx context.Context, rel string) bool {
	if o.loc != nil {
		ok, err := o.loc.Exists(ctx, o.loc.Join(rel))
		return err == nil && ok
	}
	return exists(o.name(rel))
}

// readJSON decodes rel into v, refusing more than maxResultBytes.
func (o *output) readJSON(ctx context.Context, rel string, v any) error {
	if o.loc == nil {
		return readJSON(o.name(rel), v)
	}
	b, err := o.loc.ReadAll(ctx, o.loc.Join(rel), maxResultBytes)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", o.name(rel), err)
	}
	return nil
}

// writeJSON stores v as indented JSON under rel, atomically.
func (o *output) writeJSON(ctx context.Context, rel string, v any) error {
	if o.loc == nil {
		return writeJSON(o.name(rel), v)
	}
	b, err := indentedJSON(o.name(rel), v)
	if err != nil {
		return err
	}
	return o.loc.Write(ctx, o.loc.Join(rel), func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// readResult reads the result stored under rel.
func (o *output) readResult(ctx context.Context, rel string) (*analyze.Result, error) {
	var r analyze.Result
	return checkedResult(o.name(rel), &r, o.readJSON(ctx, rel, &r))
}
