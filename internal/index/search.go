package index

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Query selects runs; empty fields match everything.
type Query struct {
	// Signature matches exactly, or as a prefix when it ends in '*'.
	Signature string
	// Cause is a verdict cause ("crash", "lock_wait", …).
	Cause string
	// Module matches the main module path exactly, or as a prefix when it
	// ends in '*'.
	Module string
	// Since keeps incidents at or after this time (the incident's own time,
	// or when it was indexed if the artifacts did not tell).
	Since time.Time
	// AnalyzerSet keeps runs of one analyzer set.
	AnalyzerSet string
	// Latest keeps only each archive's most recently indexed run.
	Latest bool
	// Limit caps the rows returned (0: no cap).
	Limit int
}

// Search returns matching runs, newest incident first, then by digest.
func (d *DB) Search(ctx context.Context, q Query) ([]Run, error) {
	var where []string
	var args []any
	match := func(col, v string) {
		if v == "" {
			return
		}
		if p, ok := strings.CutSuffix(v, "*"); ok {
			where = append(where, "substr("+col+", 1, ?) = ?")
			args = append(args, len(p), p)
			return
		}
		where = append(where, col+" = ?")
		args = append(args, v)
	}
	match("signature", q.Signature)
	match("module", q.Module)
	match("cause", q.Cause)
	match("analyzer_set", q.AnalyzerSet)
	if !q.Since.IsZero() {
		where = append(where, "coalesce(incident_time, indexed_at) >= ?")
		args = append(args, q.Since.UnixNano())
	}
	if q.Latest {
		where = append(where, `indexed_at = (SELECT max(indexed_at) FROM runs r2 WHERE r2.archive_digest = runs.archive_digest)`)
	}
	sqlText := "SELECT " + columns + " FROM runs"
	if len(where) > 0 {
		sqlText += " WHERE " + strings.Join(where, " AND ")
	}
	sqlText += " ORDER BY coalesce(incident_time, indexed_at) DESC, archive_digest, analyzer_set"
	if q.Limit > 0 {
		sqlText += " LIMIT " + strconv.Itoa(q.Limit)
	}
	rows, err := d.query(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("index %s: search: %w", d.path, err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var it sql.NullInt64
		var at int64
		if err := rows.Scan(&r.ArchiveDigest, &r.AnalyzerSet, &r.IncidentID, &r.Title, &r.Cause, &r.Severity,
			&r.Confidence, &r.Headline, &r.Signature, &r.Culprit, &r.CulpritSite, &r.GoVersion, &r.Module,
			&r.VCSRevision, &r.Host, &it, &r.Tool, &r.Source, &at); err != nil {
			return nil, fmt.Errorf("index %s: search: %w", d.path, err)
		}
		if it.Valid {
			r.IncidentTime = time.Unix(0, it.Int64).UTC()
		}
		r.IndexedAt = time.Unix(0, at).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("index %s: search: %w", d.path, err)
	}
	return out, nil
}

// Count returns the number of indexed runs.
func (d *DB) Count(ctx context.Context) (int, error) {
	var n int
	if err := d.queryRow(ctx, "SELECT count(*) FROM runs").Scan(&n); err != nil {
		return 0, fmt.Errorf("index %s: count: %w", d.path, err)
	}
	return n, nil
}

// ParseSince reads a --since value relative to now: an RFC 3339 time, a
// date (2006-01-02, UTC), or an age such as "36h", "90m" or "7d".
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want an RFC 3339 time, a date (2006-01-02) or an age (36h, 7d)", s)
}
