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

// Layout of a batch output directory.
const (
	resultsDir  = "results"      // <key>@<set>.json: one analyze.Result each
	inputsDir   = "inputs"       // <path hash>@<set>.json: each input's outcome
	SummaryFile = "summary.json" // the last run's Summary
	DiffFile    = "diff.json"    // the --compare-to Diff
)

// maxResultBytes bounds a result file read back from disk or a worker.
// Results carry a flame graph and goroutine groups; the largest benchmark
// incident's result is a few MiB, so 256 MiB only stops runaway files.
const maxResultBytes = 256 << 20

// name is the file name of a result or input record.
func name(key, set string) string { return key + "@" + set + ".json" }

// writeAtomic writes data to path via a temporary file in the same
// directory, fsync, rename and a directory fsync, so a reader (or a re-run
// after SIGKILL) sees the old file or the whole new one, never a part.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return bundle.WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeJSON writes v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	b, err := indentedJSON(path, v)
	if err != nil {
		return err
	}
	return writeAtomic(path, b)
}

// indentedJSON is v as the indented JSON, ending in a newline, that batch
// stores; name names it in errors.
func indentedJSON(name string, v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", name, err)
	}
	return append(b, '\n'), nil
}

// readJSON decodes the JSON file at path into v, refusing files larger
// than maxResultBytes.
func readJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > maxResultBytes {
		return fmt.Errorf("%s: %d bytes exceeds the %d-byte limit for a result", path, st.Size(), maxResultBytes)
	}
	dec := json.NewDecoder(io.LimitReader(f, maxResultBytes))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// ReadResult reads one analysis result JSON file.
func ReadResult(path string) (*analyze.Result, error) {
	return decodeResult(path, func(v any) error { return readJSON(path, v) })
}

// decodeResult decodes a result with decode, and refuses one of a schema
// this coroner cannot read; name names it in that error.
func decodeResult(name string, decode func(v any) error) (*analyze.Result, error) {
	var r analyze.Result
	if err := decode(&r); err != nil {
		return nil, err
	}
	if r.SchemaVersion == 0 || r.SchemaVersion > analyze.SchemaVersion {
		return nil, fmt.Errorf("%s: result schema version %d (this coroner reads 1..%d)", name, r.SchemaVersion, analyze.SchemaVersion)
	}
	return &r, nil
}

// exists reports whether path is a regular file.
func exists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// ReadSummary reads the summary.json of the batch output directory dir.
func ReadSummary(dir string) (*Summary, error) {
	var s Summary
	if err := readJSON(filepath.Join(dir, SummaryFile), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

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
	return decodeResult(o.name(rel), func(v any) error { return o.readJSON(ctx, rel, v) })
}
