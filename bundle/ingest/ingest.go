package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/coroner/coroner/bundle"
)

// maxWarnings caps the warnings kept in a manifest; a tar with a million
// skipped symlinks must not make the manifest huge.
const maxWarnings = 200

// Run reads every input, sniffs each file's kind by its content, and
// writes one deterministic archive to o.Output: the same inputs always give
// the same bytes. On any failure, including cancellation of ctx, nothing is
// left under the output name.
func Run(ctx context.Context, o Options) (*bundle.Manifest, error) {
	if o.Output == "" {
		return nil, errors.New("no output path")
	}
	if len(o.Inputs) == 0 {
		return nil, errors.New("no inputs")
	}
	out, err := filepath.Abs(o.Output)
	if err != nil {
		return nil, err
	}
	if err := checkOutputOutsideInputs(out, o.Inputs); err != nil {
		return nil, err
	}
	// What killed runs left beside the output goes first; a concurrent
	// run's temporaries are left alone. An unreadable directory fails
	// below, where it is written, with its own error.
	removed, _ := bundle.SweepLeftovers(filepath.Dir(out))
	for _, p := range removed {
		if o.Log != nil {
			o.Log("removed %s, left by a killed run", p)
		}
	}
	stage, release, err := bundle.TempStage(filepath.Dir(out))
	if err != nil {
		return nil, fmt.Errorf("creating staging directory next to %s: %w", o.Output, err)
	}
	defer release()

	c := &gatherer{ctx: ctx, lim: o.Limits.orDefault(), stage: stage, log: o.Log, stdin: o.Stdin}
	if c.log == nil {
		c.log = func(string, ...any) {}
	}
	for _, in := range o.Inputs {
		if err := c.addInput(in); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("interrupted: %w", ctx.Err())
			}
			return nil, &InputError{Err: err}
		}
	}
	for _, p := range o.DebugBinaries {
		if err := c.addDebugBinary(p); err != nil {
			return nil, &InputError{Err: err}
		}
	}
	if len(c.files) == 0 {
		return nil, &InputError{Err: errors.New("no artifacts found in the inputs")}
	}
	c.name()
	packOrder(c.files)
	af, err := bundle.CreateAtomic(out)
	if err != nil {
		return nil, err
	}
	defer af.Abort()
	m, err := c.write(af.File, o)
	if err != nil {
		var ie *InputError
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("interrupted: %w", ctx.Err())
		case errors.As(err, &ie):
			return nil, err
		}
		return nil, fmt.Errorf("writing %s: %w", o.Output, err)
	}
	if err := af.Commit(); err != nil {
		return nil, err
	}
	c.log("wrote %s: %d artifacts", o.Output, len(m.Artifacts))
	return m, nil
}

// write packs the candidates into an archive in out and finishes it with
// their manifest. Space for the manifest is reserved by a provisional
// one, of the same candidates with placeholder hashes.
func (c *gatherer) write(out *os.File, o Options) (*bundle.Manifest, error) {
	w, err := bundle.NewArchiveWriter(out, c.manifest(o, c.files, true))
	if err != nil {
		return nil, err
	}
	stored, err := c.pack(w)
	if err != nil {
		w.Abort()
		return nil, err
	}
	m := c.manifest(o, stored, false)
	if err := w.Finish(m); err != nil {
		return nil, err
	}
	return m, nil
}

// checkOutputOutsideInputs refuses an output inside an input directory:
// the archive would ingest itself (or a previous run's archive) next time.
func checkOutputOutsideInputs(out string, inputs []string) error {
	for _, in := range inputs {
		if in == "-" {
			continue
		}
		abs, err := filepath.Abs(in)
		if err != nil {
			return err
		}
		if abs == out {
			return fmt.Errorf("output %s is also an input", out)
		}
		if st, err := os.Stat(abs); err == nil && st.IsDir() {
			if rel, err := filepath.Rel(abs, out); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
				return fmt.Errorf("output %s is inside input directory %s", out, in)
			}
		}
	}
	return nil
}

// candidate is one file found in the inputs, hashed and sniffed.
type candidate struct {
	original    string
	src         string
	size        int64
	name        string   // member name
	also        []string // originals of identical candidates not stored
	sha         string
	kind        bundle.Kind
	attrs       map[string]string
	compression string
}
