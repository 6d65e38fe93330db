package batch

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/internal/blobstore"
)

// ReadStored calls each, in name order, for every result stored under the
// batch output out (a directory or an object-store prefix) with the
// analyzer set its name records and its path or URL: what rebuilding an
// index from stored results needs. A result that cannot be read stops the
// walk with its error.
func ReadStored(ctx context.Context, out string, each func(r *analyze.Result, set, name string) error) error {
	o, err := openStoredOutput(ctx, out)
	if err != nil {
		return err
	}
	rels, err := o.results(ctx)
	if err != nil {
		return err
	}
	for _, rel := range rels {
		res, err := o.readResult(ctx, rel)
		if err != nil {
			return err
		}
		set := strings.TrimSuffix(path.Base(rel), ".json")
		if i := strings.LastIndexByte(set, '@'); i >= 0 {
			set = set[i+1:]
		} else {
			set = ""
		}
		if err := each(res, set, o.name(rel)); err != nil {
			return err
		}
	}
	return nil
}

// openStoredOutput opens an existing output for reading, creating nothing.
func openStoredOutput(ctx context.Context, out string) (*output, error) {
	if blobstore.IsURL(out) {
		return openOutput(ctx, out)
	}
	if !isDir(filepath.Join(out, resultsDir)) {
		return nil, fmt.Errorf("%s: no %s/ directory: not a batch output", out, resultsDir)
	}
	return &output{dir: out}, nil
}

// results lists the stored results' names, sorted.
func (o *output) results(ctx context.Context) ([]string, error) {
	var rels []string
	if o.loc != nil {
		prefix := o.loc.Join(resultsDir + "/")
		under := *o.loc
		under.Key = prefix
		keys, _, err := under.List(ctx, func(k string) bool {
			rel := strings.TrimPrefix(k, prefix)
			return strings.HasSuffix(rel, ".json") && !strings.Contains(rel, "/") && !strings.HasPrefix(rel, ".")
		})
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			rels = append(rels, resultsDir+"/"+strings.TrimPrefix(k, prefix))
		}
		return rels, nil
	}
	m, err := filepath.Glob(filepath.Join(o.dir, resultsDir, "*.json"))
	if err != nil {
		return nil, err
	}
	for _, p := range m {
		if !strings.HasPrefix(filepath.Base(p), ".") {
			rels = append(rels, resultsDir+"/"+filepath.Base(p))
		}
	}
	slices.Sort(rels)
	return rels, nil
}
