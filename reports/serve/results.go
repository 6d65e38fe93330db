package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/coroner/coroner/reports"
)

// Results is where the server reads analysis results from: the JSON a
// batch stored for each archive and analyzer set.
type Results interface {
	// Open returns the stored result of archive digest under analyzer
	// set, or an error wrapping fs.ErrNotExist when there is none.
	Open(ctx context.Context, digest, set string) (io.ReadCloser, error)
	// String names the source for messages.
	String() string
}

// ErrNoResult is wrapped by Open's error when no result is stored.
var ErrNoResult = os.ErrNotExist

// safeName is what a digest or analyzer set must look like to become part
// of a file name: no separators, no dot-dot.
var safeName = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z_-]{0,127}$`)

// Dir is a batch output directory (coroner batch --out DIR): results
// under DIR/results/<key>@<set>.json, where the key is the archive digest
// or, for an attachment batch ingested on the fly, "file-" and the
// attachment's SHA-256.
type Dir struct {
	root string

	mu sync.Mutex
	// attachments maps digest@set to result files named by attachment
	// key, found by reading those files once.
	attachments map[string]string
	scanned     bool
}

// NewDir returns the results of the batch output directory root.
func NewDir(root string) (*Dir, error) {
	st, err := os.Stat(filepath.Join(root, "results"))
	if err != nil {
		return nil, fmt.Errorf("results %s: not a batch output directory: %w", root, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("results %s: %s is not a directory", root, filepath.Join(root, "results"))
	}
	return &Dir{root: root}, nil
}

// String returns the directory.
func (d *Dir) String() string { return d.root }

// Open opens DIR/results/<digest>@<set>.json, or the attachment result
// whose incident has that digest.
func (d *Dir) Open(ctx context.Context, digest, set string) (io.ReadCloser, error) {
	if !safeName.MatchString(digest) || !safeName.MatchString(set) {
		return nil, fmt.Errorf("result %q@%q: not a digest and analyzer set: %w", digest, set, ErrNoResult)
	}
	f, err := os.Open(filepath.Join(d.root, "results", digest+"@"+set+".json"))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return f, err
	}
	path, err := d.attachment(ctx, digest, set)
	if err != nil {
		return nil, err
	}
	return os.Open(path)
}

// attachment finds the attachment result of digest@set, reading every
// attachment result's incident digest the first time it is asked.
func (d *Dir) attachment(ctx context.Context, digest, set string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.scanned {
		names, err := filepath.Glob(filepath.Join(d.root, "results", "file-*@*.json"))
		if err != nil {
			return "", fmt.Errorf("results %s: %w", d.root, err)
		}
		d.attachments = map[string]string{}
		for _, n := range names {
			if err := ctx.Err(); err != nil {
				return "", err
			}
			key := incidentDigest(n)
			_, fileSet, _ := strings.Cut(strings.TrimSuffix(filepath.Base(n), ".json"), "@")
			if key != "" {
				d.attachments[key+"@"+fileSet] = n
			}
		}
		d.scanned = true
	}
	if p, ok := d.attachments[digest+"@"+set]; ok {
		return p, nil
	}
	return "", fmt.Errorf("results %s: no result for archive %s under analyzer set %s: %w", d.root, digest, set, ErrNoResult)
}

// incidentDigest reads the incident's archive digest from a result file,
// or "" when it cannot.
func incidentDigest(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var head struct {
		Incident struct {
			ArchiveDigest string `json:"archive_digest"`
		} `json:"incident"`
	}
	if json.NewDecoder(io.LimitReader(f, reports.MaxResultBytes)).Decode(&head) != nil {
		return ""
	}
	return head.Incident.ArchiveDigest
}
