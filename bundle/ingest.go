package bundle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/coroner/coroner/internal/version"
)

// IngestOptions says what to ingest and where to write the archive.
type IngestOptions struct {
	// Inputs are directories (walked recursively), files, .tar, .tar.gz,
	// .tgz, .tar.zst or .zip attachments, or "-" for a tar on Stdin.
	Inputs []string
	Stdin  io.Reader
	// Output is the archive's path, written via a temporary name, fsync and
	// rename.
	Output string
	ID     string
	Title  string
	Labels map[string]string
	// Capture is recorded in the manifest when coroner collect produced the
	// inputs.
	Capture *Capture
	Limits  Limits
	// Log receives progress lines; nil discards them.
	Log func(format string, args ...any)
}

// InputError reports a problem with an input (unreadable, malformed, over
// a limit) as opposed to a failure writing the archive.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// maxWarnings caps the warnings kept in a manifest; a tar with a million
// skipped symlinks must not make the manifest huge.
const maxWarnings = 200

// Ingest reads every input, sniffs each file's kind by its content, and
// writes one deterministic archive to o.Output: the same inputs always give
// the same bytes. On any failure, including cancellation of ctx, nothing is
// left under the output name.
func Ingest(ctx context.Context, o IngestOptions) (*Manifest, error) {
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
	stage, err := os.MkdirTemp(filepath.Dir(out), ".coroner-stage-*")
	if err != nil {
		return nil, fmt.Errorf("creating staging directory next to %s: %w", o.Output, err)
	}
	defer os.RemoveAll(stage)

	c := &collector{ctx: ctx, lim: o.Limits.orDefault(), stage: stage, log: o.Log, stdin: o.Stdin}
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
	if len(c.files) == 0 {
		return nil, &InputError{Err: errors.New("no artifacts found in the inputs")}
	}
	spool, err := c.pack()
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
	defer spool.Close()
	m, files := c.plan(o)
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding manifest: %w", err)
	}
	mb = append(mb, '\n')

	af, err := createAtomic(out)
	if err != nil {
		return nil, err
	}
	defer af.Abort()
	if err := writeArchive(ctx, af, mb, files, spool, c.log); err != nil {
		var ie *InputError
		if errors.As(err, &ie) {
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
	off, n      int64 // compressed data frames in the spool
	sha         string
	kind        Kind
	attrs       map[string]string
	compression string
}

// plan deduplicates identical content, names the members, and builds the
// manifest. Everything is sorted, so the result depends only on the inputs.
func (c *collector) plan(o IngestOptions) (*Manifest, []storedFile) {
	bySHA := map[string][]*candidate{}
	for _, f := range c.files {
		bySHA[f.sha] = append(bySHA[f.sha], f)
	}
	var groups [][]*candidate
	for _, g := range bySHA {
		sort.Slice(g, func(i, j int) bool { return g[i].original < g[j].original })
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool {
		a, b := groups[i][0], groups[j][0]
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if a.original != b.original {
			return a.original < b.original
		}
		return a.sha < b.sha
	})
	used := map[string]bool{}
	var files []storedFile
	var earliest time.Time
	ids := sha256.New()
	for _, g := range groups {
		p := g[0]
		name := uniqueName(string(p.kind), storedBase(p.original), used)
		art := Artifact{Path: name, Kind: p.kind, Size: p.size, SHA256: p.sha, Original: p.original,
			Compression: p.compression, Attrs: p.attrs}
		for _, d := range g[1:] {
			art.Also = append(art.Also, d.original)
		}
		if len(art.Also) > 0 {
			c.log("%s: identical to %s, stored once", quoteName(art.Also[0]), quoteName(p.original))
		}
		if t, err := time.Parse(time.RFC3339Nano, p.attrs["time"]); err == nil && (earliest.IsZero() || t.Before(earliest)) {
			earliest = t.UTC()
		}
		files = append(files, storedFile{art: art, off: p.off, n: p.n})
		ids.Write([]byte(p.sha))
	}
	// Small members first: profiles, traces and logs are reached without
	// decompressing a multi-GiB core that happens to sort before them.
	sort.Slice(files, func(i, j int) bool {
		a, b := files[i].art, files[j].art
		if a.Size != b.Size {
			return a.Size < b.Size
		}
		return a.Path < b.Path
	})
	m := &Manifest{FormatVersion: FormatVersion, ID: o.ID, Title: o.Title, Labels: o.Labels,
		Time: earliest, Tool: version.Tool(), Capture: o.Capture}
	if m.ID == "" {
		m.ID = "inc-" + hex.EncodeToString(ids.Sum(nil))[:16]
	}
	for _, f := range files {
		m.Artifacts = append(m.Artifacts, f.art)
	}
	m.Warnings = c.warningList()
	return m, files
}

// uniqueName returns "artifacts/<kind>/<base>", adding "-2", "-3", … before
// the extension while the name collides, ignoring case and Unicode
// normalization, with one already used.
func uniqueName(kind, base string, used map[string]bool) string {
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	name := ArtifactDir + kind + "/" + base
	for i := 2; used[foldKey(name)]; i++ {
		name = fmt.Sprintf("%s%s/%s-%d%s", ArtifactDir, kind, stem, i, ext)
	}
	used[foldKey(name)] = true
	return name
}
