package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/coroner/coroner/analyze"
	"github.com/coroner/coroner/internal/blobstore"
	"github.com/coroner/coroner/internal/index"
)

// Side is one side of a diff: outcomes by archive digest.
type Side struct {
	// Label names where the side came from.
	Label string
	// AnalyzerSet is the analyzer set of the side's results, when uniform.
	AnalyzerSet string
	Entries     map[string]Entry
	// single is set when the side is one result file.
	single bool
}

// Change is one incident whose outcome differs between two sides.
type Change struct {
	ArchiveDigest string `json:"archive_digest"`
	IncidentID    string `json:"incident_id,omitempty"`
	Input         string `json:"input,omitempty"`
	// Kind is "changed", "added" (only in the new side) or "removed".
	Kind   string        `json:"kind"`
	Fields []FieldChange `json:"fields,omitempty"`
}

// FieldChange is one field's old and new value.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Diff compares two analyses of the same incidents.
type Diff struct {
	Old       string   `json:"old"`
	New       string   `json:"new"`
	OldSet    string   `json:"old_analyzer_set,omitempty"`
	NewSet    string   `json:"new_analyzer_set,omitempty"`
	Compared  int      `json:"compared"`
	Unchanged int      `json:"unchanged"`
	Changes   []Change `json:"changes"`
}

// LoadSide reads a diff side from path: a result JSON file, a batch
// summary.json, a batch output directory, or a directory of result files.
//
// path may be an object-store URL (see blobstore): an object holding a
// result or a summary, or a prefix holding a batch output.
func LoadSide(path string) (*Side, error) {
	return LoadSideContext(context.Background(), path)
}

// LoadSideContext is LoadSide under ctx, which bounds object-store reads.
func LoadSideContext(ctx context.Context, path string) (*Side, error) {
	if blobstore.IsURL(path) {
		return loadObjectSide(ctx, path)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		if sum := filepath.Join(path, SummaryFile); exists(sum) {
			return loadSummary(sum, path)
		}
		// A sharded run's output: each shard wrote its own summary, and
		// the stored results are the whole of it.
		o := &output{dir: path}
		rels, err := o.results(ctx)
		if err != nil {
			return nil, err
		}
		if len(rels) > 0 {
			return o.sideOfResults(ctx, rels, path)
		}
		return loadResultDir(path)
	}
	var probe struct {
		SchemaVersion int             `json:"schema_version"`
		Entries       json.RawMessage `json:"entries"`
	}
	if err := readJSON(path, &probe); err != nil {
		return nil, err
	}
	if probe.Entries != nil {
		return loadSummary(path, filepath.Dir(path))
	}
	res, err := ReadResult(path)
	if err != nil {
		return nil, err
	}
	return sideOfResult(res, path), nil
}

// sideOfResult is the side of one result, read from name.
func sideOfResult(res *analyze.Result, name string) *Side {
	out := outcomeOf(res)
	e := Entry{Input: name, Key: out.ArchiveDigest, Status: StatusOK, Outcome: out}
	return &Side{Label: name, AnalyzerSet: index.SetVersionOfResult(res), single: true,
		Entries: map[string]Entry{matchKey(e): e}}
}

// loadSummary reads a batch summary.
func loadSummary(path, label string) (*Side, error) {
	var s Summary
	if err := readJSON(path, &s); err != nil {
		return nil, err
	}
	return sideOfSummary(&s, label), nil
}

// sideOfSummary is the side a batch summary lists, finished entries only.
func sideOfSummary(s *Summary, label string) *Side {
	side := &Side{Label: label, AnalyzerSet: s.AnalyzerSet, Entries: map[string]Entry{}}
	for _, e := range s.Entries {
		if e.Status == StatusInterrupted {
			continue
		}
		side.Entries[matchKey(e)] = e
	}
	return side
}

// loadResultDir reads every *.json result directly in dir.
func loadResultDir(dir string) (*Side, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no summary.json and no result files", dir)
	}
	slices.Sort(names)
	side := newResultsSide(dir)
	for _, n := range names {
		res, err := ReadResult(n)
		if err != nil {
			return nil, err
		}
		side.add(res, n)
	}
	return side.done(), nil
}

// resultsSide gathers a side from result files one by one.
type resultsSide struct {
	*Side
	sets map[string]bool
}

func newResultsSide(label string) resultsSide {
	return resultsSide{&Side{Label: label, Entries: map[string]Entry{}}, map[string]bool{}}
}

// add pairs res, read from name, by its archive digest.
func (s resultsSide) add(res *analyze.Result, name string) {
	s.sets[index.SetVersionOfResult(res)] = true
	e := Entry{Input: name, Key: res.Incident.ArchiveDigest, Status: StatusOK, Outcome: outcomeOf(res)}
	s.Entries[matchKey(e)] = e
}

// done returns the side, with its analyzer set when the results share one.
func (s resultsSide) done() *Side {
	if len(s.sets) == 1 {
		for set := range s.sets {
			s.AnalyzerSet = set
		}
	}
	return s.Side
}

// matchKey is what entries are paired by: the archive digest, else the
// stored key, else the input path.
func matchKey(e Entry) string {
	switch {
	case e.ArchiveDigest != "":
		return e.ArchiveDigest
	case e.Key != "":
		return e.Key
	}
	return e.Input
}

// Compare diffs two sides. Two single result files are compared with each
// other whatever their digests (the same incident re-ingested); otherwise
// incidents are paired by archive digest.
func Compare(old, new *Side) *Diff {
	d := &Diff{Old: old.Label, New: new.Label, OldSet: old.AnalyzerSet, NewSet: new.AnalyzerSet, Changes: []Change{}}
	if old.single && new.single && len(old.Entries) == 1 && len(new.Entries) == 1 {
		for _, o := range old.Entries {
			for _, n := range new.Entries {
				d.Compared = 1
				if fs := fieldChanges(o, n); len(fs) > 0 {
					d.Changes = append(d.Changes, Change{ArchiveDigest: n.ArchiveDigest, IncidentID: n.IncidentID, Input: n.Input, Kind: "changed", Fields: fs})
				} else {
					d.Unchanged = 1
				}
			}
		}
		return d
	}
	keys := map[string]bool{}
	for k := range old.Entries {
		keys[k] = true
	}
	for k := range new.Entries {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	slices.Sort(sorted)
	for _, k := range sorted {
		o, inOld := old.Entries[k]
		n, inNew := new.Entries[k]
		switch {
		case !inOld:
			d.Changes = append(d.Changes, Change{ArchiveDigest: k, IncidentID: n.IncidentID, Input: n.Input, Kind: "added", Fields: fieldChanges(Entry{}, n)})
		case !inNew:
			d.Changes = append(d.Changes, Change{ArchiveDigest: k, IncidentID: o.IncidentID, Input: o.Input, Kind: "removed", Fields: fieldChanges(o, Entry{})})
		default:
			d.Compared++
			if fs := fieldChanges(o, n); len(fs) > 0 {
				id := n.IncidentID
				if id == "" {
					id = o.IncidentID
				}
				d.Changes = append(d.Changes, Change{ArchiveDigest: k, IncidentID: id, Input: n.Input, Kind: "changed", Fields: fs})
			} else {
				d.Unchanged++
			}
		}
	}
	return d
}

// fieldChanges lists the compared fields that differ, in a fixed order.
func fieldChanges(o, n Entry) []FieldChange {
	var fs []FieldChange
	add := func(field, a, b string) {
		if a != b {
			fs = append(fs, FieldChange{Field: field, Old: a, New: b})
		}
	}
	add("status", o.Status, n.Status)
	add("cause", o.Cause, n.Cause)
	add("severity", o.Severity, n.Severity)
	add("culprit", o.Culprit, n.Culprit)
	add("signature", o.Signature, n.Signature)
	add("error", firstLine(o.Error), firstLine(n.Error))
	return fs
}

// firstLine keeps an error's first line, so diffs stay one row each.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// CompareTo diffs a finished batch in out against the earlier output
// prev and writes out/diff.json; either may be an object-store prefix.
func CompareTo(prev, out string) (*Diff, error) {
	old, err := LoadSide(prev)
	if err != nil {
		return nil, fmt.Errorf("--compare-to: %w", err)
	}
	cur, err := LoadSide(out)
	if err != nil {
		return nil, err
	}
	if old.single {
		return nil, errors.New("--compare-to wants a batch output directory, not one result")
	}
	d := Compare(old, cur)
	ctx := context.Background()
	o, err := openOutput(ctx, out)
	if err != nil {
		return d, err
	}
	return d, o.writeJSON(ctx, DiffFile, d)
}
