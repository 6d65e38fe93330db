package index

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strconv"
	"time"
)

// RunOf returns the run of one archive digest and analyzer set, and false
// when the index holds none.
func (d *DB) RunOf(ctx context.Context, digest, set string) (Run, bool, error) {
	row := d.queryRow(ctx, "SELECT "+columns+" FROM runs WHERE archive_digest = ? AND analyzer_set = ?", digest, set)
	r, err := scanRun(row.Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, false, nil
	}
	if err != nil {
		return Run{}, false, d.errorf("run "+digest+"@"+set, err)
	}
	return r, true, nil
}

// RunsMatching returns up to limit runs f selects, newest incident
// first, then by digest and set (the order Search uses), and how many
// there are in all.
func (d *DB) RunsMatching(ctx context.Context, f SignatureFilter, limit int) ([]Run, int, error) {
	where, args := f.where()
	var total int
	if err := d.queryRow(ctx, "SELECT count(*) FROM runs WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, d.errorf("matching runs", err)
	}
	rows, err := d.query(ctx, "SELECT "+columns+" FROM runs WHERE "+where+" ORDER BY "+runTime+
		" DESC, archive_digest, analyzer_set LIMIT "+strconv.Itoa(max(limit, 0)), args...)
	if err != nil {
		return nil, 0, d.errorf("matching runs", err)
	}
	runs, err := d.scanRuns(rows, "matching runs")
	return runs, total, err
}

// RunsOfSet returns up to limit runs of one analyzer set, by archive
// digest.
func (d *DB) RunsOfSet(ctx context.Context, set string, limit int) ([]Run, error) {
	rows, err := d.query(ctx, "SELECT "+columns+" FROM runs WHERE analyzer_set = ? ORDER BY archive_digest LIMIT "+
		strconv.Itoa(max(limit, 0)), set)
	if err != nil {
		return nil, d.errorf("runs of analyzer set "+set, err)
	}
	return d.scanRuns(rows, "runs of analyzer set "+set)
}

func (d *DB) scanRuns(rows *sql.Rows, what string) ([]Run, error) {
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows.Scan)
		if err != nil {
			return nil, d.errorf(what, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, d.errorf(what, err)
	}
	return out, nil
}

// SetSummary is one analyzer set in the index.
type SetSummary struct {
	AnalyzerSet string    `json:"analyzer_set"`
	LastIndexed time.Time `json:"last_indexed"`
}

// maxSets bounds the analyzer sets listed: each coroner release with a
// changed analyzer makes one, so this is years of releases.
const maxSets = 100

// AnalyzerSets lists the index's analyzer sets (at most maxSets), most
// recently indexed first. It steps from set to set through the index on
// (analyzer_set, indexed_at), a few lookups per set whatever the number
// of runs.
func (d *DB) AnalyzerSets(ctx context.Context) ([]SetSummary, error) {
	var out []SetSummary
	var after *string
	for len(out) < maxSets {
		var q string
		var args []any
		if after == nil {
			q = "SELECT min(analyzer_set) FROM runs"
		} else {
			q, args = "SELECT min(analyzer_set) FROM runs WHERE analyzer_set > ?", []any{*after}
		}
		var set *string
		if err := d.queryRow(ctx, q, args...).Scan(&set); err != nil {
			return nil, d.errorf("analyzer sets", err)
		}
		if set == nil {
			break
		}
		var last int64
		if err := d.queryRow(ctx, "SELECT max(indexed_at) FROM runs WHERE analyzer_set = ?", *set).Scan(&last); err != nil {
			return nil, d.errorf("analyzer sets", err)
		}
		out = append(out, SetSummary{AnalyzerSet: *set, LastIndexed: time.Unix(0, last).UTC()})
		after = set
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LastIndexed.After(out[j].LastIndexed) })
	return out, nil
}
