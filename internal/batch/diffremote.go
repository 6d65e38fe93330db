package batch

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/coroner/coroner/internal/blobstore"
)

// loadObjectSide reads a diff side from an object-store URL, as LoadSide
// does from a path: an object holding a result or a summary, or a prefix
// holding a batch output (its summary.json, else its stored results, as
// sharded runs leave them) or result files directly under it.
func loadObjectSide(ctx context.Context, url string) (*Side, error) {
	loc, err := blobstore.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	if loc.Key != "" && !strings.HasSuffix(loc.Key, "/") {
		ok, err := loc.Exists(ctx, loc.Key)
		if err != nil {
			return nil, err
		}
		if ok {
			b, err := loc.ReadAll(ctx, loc.Key, maxResultBytes)
			if err != nil {
				return nil, err
			}
			return sideOfJSON(b, blobstore.Redact(url), blobstore.Redact(loc.URL(path.Dir(loc.Key)+"/")))
		}
		loc.Key += "/"
	}
	o := &output{loc: loc}
	label := o.name("")
	if o.exists(ctx, SummaryFile) {
		var s Summary
		if err := o.readJSON(ctx, SummaryFile, &s); err != nil {
			return nil, err
		}
		return sideOfSummary(&s, label), nil
	}
	rels, err := o.results(ctx)
	if err != nil {
		return nil, err
	}
	if len(rels) == 0 {
		if rels, err = o.topJSON(ctx); err != nil {
			return nil, err
		}
	}
	if len(rels) == 0 {
		return nil, fmt.Errorf("%s: no %s, no stored results and no result files", label, SummaryFile)
	}
	return o.sideOfResults(ctx, rels, label)
}

// sideOfResults is the side the results rels of the output hold, labelled
// label.
func (o *output) sideOfResults(ctx context.Context, rels []string, label string) (*Side, error) {
	side := newResultsSide(label)
	for _, rel := range rels {
		res, err := o.readResult(ctx, rel)
		if err != nil {
			return nil, err
		}
		side.add(res, o.name(rel))
	}
	return side.done(), nil
}

// topJSON lists the JSON objects directly under the output's prefix.
func (o *output) topJSON(ctx context.Context) ([]string, error) {
	keys, _, err := o.loc.List(ctx, func(k string) bool {
		rel := strings.TrimPrefix(k, o.loc.Key)
		return strings.HasSuffix(rel, ".json") && !strings.Contains(rel, "/") && !strings.HasPrefix(rel, ".")
	})
	if err != nil {
		return nil, err
	}
	rels := make([]string, len(keys))
	for i, k := range keys {
		rels[i] = strings.TrimPrefix(k, o.loc.Key)
	}
	return rels, nil
}

// sideOfJSON reads a side from b, the bytes of name: a summary (labelled
// dir, the output it summarizes) or one result.
func sideOfJSON(b []byte, name, dir string) (*Side, error) {
	var probe struct {
		Entries json.RawMessage `json:"entries"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if probe.Entries != nil {
		var s Summary
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return sideOfSummary(&s, dir), nil
	}
	res, err := decodeResult(name, func(v any) error {
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sideOfResult(res, name), nil
}
