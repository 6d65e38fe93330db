package index

import (
	"fmt"
	"strings"
	"time"
)

// SignatureFilter selects the runs that signature listings group. Empty
// fields match everything.
type SignatureFilter struct {
	// Signatures are canonical signatures matched exactly (what
	// ResolveSignature returns).
	Signatures []string
	// SignaturePrefix keeps signatures that start with it.
	SignaturePrefix string
	// Cause is a verdict cause.
	Cause string
	// Module matches the main module path exactly, or as a prefix when it
	// ends in '*'.
	Module string
	// Since and Until keep incidents in [Since, Until): the incident's own
	// time, or when it was indexed if the artifacts did not tell.
	Since, Until time.Time
	// AnalyzerSet keeps runs of one analyzer set.
	AnalyzerSet string
	// Latest keeps each archive's most recently indexed run. It looks up
	// every run's archive, so it is for narrow selections (one signature);
	// listing a whole index is fast by AnalyzerSet.
	Latest bool
}

// runTime is the time a run is filed under, as SQL.
const runTime = "coalesce(incident_time, indexed_at)"

// where renders the filter as a WHERE clause (without the keyword; "1=1"
// when empty) over table runs, and its arguments.
func (f SignatureFilter) where() (string, []any) {
	var conds []string
	var args []any
	prefix := func(col, p string) {
		conds = append(conds, "substr("+col+", 1, ?) = ?")
		args = append(args, len(p), p)
	}
	if len(f.Signatures) > 0 {
		conds = append(conds, "signature IN ("+placeholders(len(f.Signatures))+")")
		for _, s := range f.Signatures {
			args = append(args, s)
		}
	}
	if f.SignaturePrefix != "" {
		prefix("signature", f.SignaturePrefix)
	}
	if f.Cause != "" {
		conds = append(conds, "cause = ?")
		args = append(args, f.Cause)
	}
	if p, ok := strings.CutSuffix(f.Module, "*"); ok {
		prefix("module", p)
	} else if f.Module != "" {
		conds = append(conds, "module = ?")
		args = append(args, f.Module)
	}
	if !f.Since.IsZero() {
		conds = append(conds, runTime+" >= ?")
		args = append(args, f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		conds = append(conds, runTime+" < ?")
		args = append(args, f.Until.UnixNano())
	}
	if f.AnalyzerSet != "" {
		conds = append(conds, "analyzer_set = ?")
		args = append(args, f.AnalyzerSet)
	}
	if f.Latest {
		conds = append(conds, "indexed_at = (SELECT max(r2.indexed_at) FROM runs r2 WHERE r2.archive_digest = runs.archive_digest)")
	}
	if len(conds) == 0 {
		return "1=1", nil
	}
	return strings.Join(conds, " AND "), args
}

// placeholders returns n comma-separated '?'.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// scanRun reads one row of columns (add.go) into a Run.
func scanRun(scan func(...any) error) (Run, error) {
	var r Run
	var it *int64
	var at int64
	if err := scan(&r.ArchiveDigest, &r.AnalyzerSet, &r.IncidentID, &r.Title, &r.Cause, &r.Severity,
		&r.Confidence, &r.Headline, &r.Signature, &r.Culprit, &r.CulpritSite, &r.GoVersion, &r.Module,
		&r.VCSRevision, &r.Host, &it, &r.Tool, &r.Source, &at); err != nil {
		return r, err
	}
	if it != nil {
		r.IncidentTime = time.Unix(0, *it).UTC()
	}
	r.IndexedAt = time.Unix(0, at).UTC()
	return r, nil
}

// errorf wraps err with the index's path and what was being done.
func (d *DB) errorf(what string, err error) error {
	return fmt.Errorf("index %s: %s: %w", d.path, what, err)
}
