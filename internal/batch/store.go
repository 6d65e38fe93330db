package batch

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/bundle"
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
	var r analyze.Result
	return checkedResult(path, &r, readJSON(path, &r))
}

// checkedResult returns the result r read from name, or the error of that
// read (err), or the refusal of a schema this coroner cannot read.
func checkedResult(name string, r *analyze.Result, err error) (*analyze.Result, error) {
	if err != nil {
		return nil, err
	}
	if r.SchemaVersion == 0 || r.SchemaVersion > analyze.SchemaVersion {
		return nil, fmt.Errorf("%s: result schema version %d (this coroner reads 1..%d)", name, r.SchemaVersion, analyze.SchemaVersion)
	}
	return r, nil
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
