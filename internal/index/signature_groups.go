package index

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SignatureGroup is one signature's incidents under a SignatureFilter.
type SignatureGroup struct {
	Signature string `json:"signature"`
	Cause     string `json:"cause"`
	// Severity is the most severe of the group's verdicts.
	Severity string `json:"severity"`
	// Culprit is the group's culprit function (the greatest, when
	// rebuilds named it differently).
	Culprit   string    `json:"culprit,omitempty"`
	Count     int       `json:"count"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Newest names the group's newest run (archive digest, analyzer set).
	NewestDigest string `json:"newest_archive_digest"`
	NewestSet    string `json:"newest_analyzer_set"`
	// GoVersions, Modules and VCSRevisions are the values the group's
	// runs carry, most frequent first, at most DetailValues each.
	GoVersions   []ValueCount `json:"go_versions"`
	Modules      []ValueCount `json:"modules"`
	VCSRevisions []ValueCount `json:"vcs_revisions"`
	// Days counts the group's runs per UTC day, oldest first, over the
	// days SignatureGroups was asked to chart (zero days included).
	Days []DayCount `json:"days"`
}

// ValueCount is one distinct value and how many runs carry it.
type ValueCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// DayCount is the runs of one UTC day.
type DayCount struct {
	Day   time.Time `json:"day"`
	Count int       `json:"count"`
}

// SignatureSort orders signature groups.
type SignatureSort string

// Orders of signature groups; each breaks ties by signature and cause.
const (
	SortCount     SignatureSort = "count" // most runs first
	SortLastSeen  SignatureSort = "last"  // most recently seen first
	SortFirstSeen SignatureSort = "first" // most recently first seen first
	SortSignature SignatureSort = "signature"
)

// orderBy maps each sort to its ORDER BY over the grouping query's
// columns; anything else sorts by count.
var orderBy = map[SignatureSort]string{
	SortCount:     "n DESC, last_seen DESC",
	SortLastSeen:  "last_seen DESC, n DESC",
	SortFirstSeen: "first_seen DESC, n DESC",
	SortSignature: "signature ASC",
}

// GroupPage asks for one page of signature groups.
type GroupPage struct {
	Sort SignatureSort
	// Limit is the page size (at most MaxGroupPage), Offset the groups
	// skipped before it.
	Limit, Offset int
	// ChartDays is how many days, ending with Until or the newest
	// incident's day, each group's Days covers (0: none).
	ChartDays int
}

// MaxGroupPage bounds one page of groups: a screenful of rows many times
// over, and the size of the IN lists the detail queries send.
const MaxGroupPage = 200

// maxGroups bounds the groups one listing reads: a hundred times the
// distinct signatures of the benchmark's 100,000 generated incidents (2,000).
// Past it the total is a lower bound.
const maxGroups = 200000

// DetailValues is how many Go versions, modules and revisions a group
// lists; the rest are counted in the JSON only by their absence.
const DetailValues = 5

// severityRank orders severity names as analyze.Severity does, in SQL.
const severityRank = "CASE severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 WHEN 'info' THEN 1 ELSE 0 END"

var severityOfRank = []string{"", "info", "warning", "critical"}

// SignatureGroups returns one page of the signature groups of the runs f
// selects, and how many groups there are in all.
func (d *DB) SignatureGroups(ctx context.Context, f SignatureFilter, p GroupPage) ([]SignatureGroup, int, error) {
	where, args := f.where()
	limit := p.Limit
	if limit <= 0 || limit > MaxGroupPage {
		limit = MaxGroupPage
	}
	order, ok := orderBy[p.Sort]
	if !ok {
		order = orderBy[SortCount]
	}
	q := "SELECT signature, cause, count(*) AS n, min(" + runTime + ") AS first_seen, max(" + runTime + ") AS last_seen, max(" +
		severityRank + "), max(culprit) FROM runs WHERE " + where + " GROUP BY signature, cause ORDER BY " + order +
		", signature, cause LIMIT " + strconv.Itoa(maxGroups)
	// Every group is read, and the page cut here: one pass over the runs
	// gives the page and the total, where LIMIT/OFFSET and a count would
	// group them twice.
	rows, err := d.query(ctx, q, args...)
	if err != nil {
		return nil, 0, d.errorf("signature groups", err)
	}
	defer rows.Close()
	var groups []SignatureGroup
	total := 0
	for rows.Next() {
		total++
		if total <= p.Offset || total > p.Offset+limit {
			continue
		}
		g := SignatureGroup{GoVersions: []ValueCount{}, Modules: []ValueCount{}, VCSRevisions: []ValueCount{}, Days: []DayCount{}}
		var first, last int64
		var rank int
		if err := rows.Scan(&g.Signature, &g.Cause, &g.Count, &first, &last, &rank, &g.Culprit); err != nil {
			return nil, 0, d.errorf("signature groups", err)
		}
		g.FirstSeen, g.LastSeen = time.Unix(0, first).UTC(), time.Unix(0, last).UTC()
		if rank >= 0 && rank < len(severityOfRank) {
			g.Severity = severityOfRank[rank]
		}
		groups = append(groups, g)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, d.errorf("signature groups", err)
	}
	if len(groups) == 0 {
		return groups, total, nil
	}
	if err := d.groupDetails(ctx, f, groups, p.ChartDays); err != nil {
		return nil, 0, err
	}
	return groups, total, nil
}

// maxDistinct bounds the distinct values counted per group and kind, so a
// group of a million distinct revisions costs bounded memory; values first
// seen after the bound are not counted (the lists show the most frequent
// few, which a long tail does not displace in practice).
const maxDistinct = 1024

// groupDetails fills each group's newest run, value lists and day counts,
// group by group: selecting one group's runs is a range of the covering
// index, and reading only the columns the details need keeps the cost
// per run low.
func (d *DB) groupDetails(ctx context.Context, f SignatureFilter, groups []SignatureGroup, chartDays int) error {
	firstDay, lastDay := chartWindow(f.Until, groups, chartDays)
	for i := range groups {
		g := &groups[i]
		one := f
		one.Signatures, one.SignaturePrefix, one.Cause = []string{g.Signature}, "", g.Cause
		where, args := one.where()
		if err := d.newestRun(ctx, g, where, args); err != nil {
			return err
		}
		if err := d.tally(ctx, g, where, args, firstDay, lastDay, chartDays); err != nil {
			return err
		}
	}
	return nil
}

// newestRun names the group's run filed at its LastSeen, the first by
// digest and set. It asks first for a run whose own incident time it is,
// which the covering index finds by seeking, and only then for one filed
// at its indexing time, which needs the group's runs read.
func (d *DB) newestRun(ctx context.Context, g *SignatureGroup, where string, args []any) error {
	at := g.LastSeen.UnixNano()
	for _, cond := range []string{"incident_time = ?", "incident_time IS NULL AND indexed_at = ?"} {
		err := d.queryRow(ctx, "SELECT archive_digest, analyzer_set FROM runs WHERE "+where+" AND "+cond+
			" ORDER BY archive_digest, analyzer_set LIMIT 1", append(args, at)...).Scan(&g.NewestDigest, &g.NewestSet)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return d.errorf("newest run of "+g.Signature, err)
		}
	}
	return nil
}

// tally counts one group's Go versions, modules, revisions and runs per day.
func (d *DB) tally(ctx context.Context, g *SignatureGroup, where string, args []any, firstDay, lastDay int64, chartDays int) error {
	rows, err := d.query(ctx, "SELECT go_version, module, vcs_revision, "+runTime+" FROM runs WHERE "+where, args...)
	if err != nil {
		return d.errorf("details of "+g.Signature, err)
	}
	defer rows.Close()
	values := [3]map[string]int{{}, {}, {}}
	days := make([]int, max(chartDays, 0))
	var vals [3]string
	var at int64
	for rows.Next() {
		if err := rows.Scan(&vals[0], &vals[1], &vals[2], &at); err != nil {
			return d.errorf("details of "+g.Signature, err)
		}
		for k, v := range vals {
			if n, ok := values[k][v]; ok {
				values[k][v] = n + 1
			} else if v != "" && len(values[k]) < maxDistinct {
				values[k][v] = 1
			}
		}
		if day := at / nanosPerDay; chartDays > 0 && day >= firstDay && day <= lastDay {
			days[day-firstDay]++
		}
	}
	if err := rows.Err(); err != nil {
		return d.errorf("details of "+g.Signature, err)
	}
	g.GoVersions, g.Modules, g.VCSRevisions = topValues(values[0]), topValues(values[1]), topValues(values[2])
	g.Days = make([]DayCount, 0, chartDays)
	for k, n := range days {
		g.Days = append(g.Days, DayCount{Day: time.Unix(0, (firstDay+int64(k))*nanosPerDay).UTC(), Count: n})
	}
	return nil
}

// topValues returns the DetailValues most frequent values, ties by value.
func topValues(m map[string]int) []ValueCount {
	out := make([]ValueCount, 0, len(m))
	for v, n := range m {
		out = append(out, ValueCount{Value: v, Count: n})
	}
	slices.SortFunc(out, func(a, b ValueCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Value, b.Value))
	})
	return out[:min(len(out), DetailValues)]
}

// nanosPerDay is one UTC day in the index's time unit (nanoseconds).
const nanosPerDay = int64(24 * time.Hour)

// chartWindow returns the first and last day numbers (days since the
// epoch, UTC) of chartDays days ending with the day before until, or with
// the day of the page's newest incident.
func chartWindow(until time.Time, groups []SignatureGroup, chartDays int) (first, last int64) {
	end := until
	if end.IsZero() {
		for _, g := range groups {
			if g.LastSeen.After(end) {
				end = g.LastSeen
			}
		}
		end = end.Truncate(24 * time.Hour).Add(24 * time.Hour)
	}
	last = (end.UnixNano() - 1) / nanosPerDay
	return last - int64(chartDays) + 1, last
}
