package index

import (
	"context"
	"sort"
	"strconv"
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

// DetailValues is how many Go versions, modules and revisions a group
// lists; the rest are counted in the JSON only by their absence.
const DetailValues = 5

// detailRowsPerGroup bounds the detail rows read per group: enough for
// DetailValues of each kind on most groups, while a group of 100,000
// distinct revisions costs a bounded query.
const detailRowsPerGroup = 50

// severityRank orders severity names as analyze.Severity does, in SQL.
const severityRank = "CASE severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 WHEN 'info' THEN 1 ELSE 0 END"

var severityOfRank = []string{"", "info", "warning", "critical"}

// SignatureGroups returns one page of the signature groups of the runs f
// selects, and how many groups there are in all.
func (d *DB) SignatureGroups(ctx context.Context, f SignatureFilter, p GroupPage) ([]SignatureGroup, int, error) {
	where, args := f.where()
	var total int
	if err := d.db.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT signature FROM runs WHERE "+where+
		" GROUP BY signature, cause) g", args...).Scan(&total); err != nil {
		return nil, 0, d.errorf("signature groups", err)
	}
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
		", signature, cause LIMIT " + strconv.Itoa(limit) + " OFFSET " + strconv.Itoa(max(0, p.Offset))
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, d.errorf("signature groups", err)
	}
	defer rows.Close()
	var groups []SignatureGroup
	for rows.Next() {
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

// groupKey identifies a group within one page.
func groupKey(sig, cause string) string { return cause + "\x00" + sig }

// groupDetails fills each group's newest run, value lists and day counts,
// with queries restricted to the page's signatures.
func (d *DB) groupDetails(ctx context.Context, f SignatureFilter, groups []SignatureGroup, chartDays int) error {
	byKey := make(map[string]*SignatureGroup, len(groups))
	page := f
	page.Signatures, page.SignaturePrefix = nil, ""
	seen := map[string]bool{}
	for i := range groups {
		g := &groups[i]
		byKey[groupKey(g.Signature, g.Cause)] = g
		if !seen[g.Signature] {
			seen[g.Signature] = true
			page.Signatures = append(page.Signatures, g.Signature)
		}
	}
	if err := d.newestRuns(ctx, page, byKey); err != nil {
		return err
	}
	for _, col := range []struct {
		name string
		dst  func(*SignatureGroup) *[]ValueCount
	}{
		{"go_version", func(g *SignatureGroup) *[]ValueCount { return &g.GoVersions }},
		{"module", func(g *SignatureGroup) *[]ValueCount { return &g.Modules }},
		{"vcs_revision", func(g *SignatureGroup) *[]ValueCount { return &g.VCSRevisions }},
	} {
		if err := d.valueCounts(ctx, page, col.name, len(groups)*detailRowsPerGroup, func(key string, vc ValueCount) {
			if g := byKey[key]; g != nil && len(*col.dst(g)) < DetailValues {
				*col.dst(g) = append(*col.dst(g), vc)
			}
		}); err != nil {
			return err
		}
	}
	if chartDays > 0 {
		return d.dayCounts(ctx, page, groups, byKey, chartDays)
	}
	return nil
}

// newestRuns names each group's newest run: among the page's runs filed
// at one of the groups' LastSeen times, the first by digest and set.
func (d *DB) newestRuns(ctx context.Context, page SignatureFilter, byKey map[string]*SignatureGroup) error {
	where, args := page.where()
	times := map[int64]bool{}
	for _, g := range byKey {
		times[g.LastSeen.UnixNano()] = true
	}
	for t := range times {
		args = append(args, t)
	}
	rows, err := d.db.QueryContext(ctx, "SELECT signature, cause, archive_digest, analyzer_set, "+runTime+" FROM runs WHERE "+where+
		" AND "+runTime+" IN ("+placeholders(len(times))+") ORDER BY signature, cause, archive_digest, analyzer_set", args...)
	if err != nil {
		return d.errorf("newest runs", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sig, cause, digest, set string
		var at int64
		if err := rows.Scan(&sig, &cause, &digest, &set, &at); err != nil {
			return d.errorf("newest runs", err)
		}
		if g := byKey[groupKey(sig, cause)]; g != nil && g.NewestDigest == "" && at == g.LastSeen.UnixNano() {
			g.NewestDigest, g.NewestSet = digest, set
		}
	}
	return rows.Err()
}

// valueCounts reads the distinct values of col per group, most frequent
// first, at most limit rows in all.
func (d *DB) valueCounts(ctx context.Context, page SignatureFilter, col string, limit int, each func(key string, vc ValueCount)) error {
	where, args := page.where()
	rows, err := d.db.QueryContext(ctx, "SELECT signature, cause, "+col+", count(*) AS n FROM runs WHERE "+where+" AND "+col+
		" <> '' GROUP BY signature, cause, "+col+" ORDER BY signature, cause, n DESC, "+col+" LIMIT "+strconv.Itoa(limit), args...)
	if err != nil {
		return d.errorf(col+" per signature", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sig, cause string
		var vc ValueCount
		if err := rows.Scan(&sig, &cause, &vc.Value, &vc.Count); err != nil {
			return d.errorf(col+" per signature", err)
		}
		each(groupKey(sig, cause), vc)
	}
	return rows.Err()
}

// nanosPerDay is one UTC day in the index's time unit (nanoseconds).
const nanosPerDay = int64(24 * time.Hour)

// dayCounts fills each group's Days over chartDays days ending with the
// filter's Until (exclusive) or the page's newest incident.
func (d *DB) dayCounts(ctx context.Context, page SignatureFilter, groups []SignatureGroup, byKey map[string]*SignatureGroup, chartDays int) error {
	end := page.Until
	if end.IsZero() {
		for _, g := range groups {
			if g.LastSeen.After(end) {
				end = g.LastSeen
			}
		}
		end = end.Truncate(24 * time.Hour).Add(24 * time.Hour)
	}
	lastDay := (end.UnixNano() - 1) / nanosPerDay
	firstDay := lastDay - int64(chartDays) + 1
	if start := time.Unix(0, firstDay*nanosPerDay).UTC(); page.Since.Before(start) {
		page.Since = start
	}
	page.Until = end
	where, args := page.where()
	args = append([]any{nanosPerDay}, args...)
	rows, err := d.db.QueryContext(ctx, "SELECT signature, cause, "+runTime+" / ? AS day, count(*) FROM runs WHERE "+where+
		" GROUP BY signature, cause, day", args...)
	if err != nil {
		return d.errorf("incidents per day", err)
	}
	defer rows.Close()
	counts := map[string]map[int64]int{}
	for rows.Next() {
		var sig, cause string
		var day int64
		var n int
		if err := rows.Scan(&sig, &cause, &day, &n); err != nil {
			return d.errorf("incidents per day", err)
		}
		k := groupKey(sig, cause)
		if counts[k] == nil {
			counts[k] = map[int64]int{}
		}
		counts[k][day] += n
	}
	if err := rows.Err(); err != nil {
		return d.errorf("incidents per day", err)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := byKey[k]
		g.Days = make([]DayCount, 0, chartDays)
		for day := firstDay; day <= lastDay; day++ {
			g.Days = append(g.Days, DayCount{Day: time.Unix(0, day*nanosPerDay).UTC(), Count: counts[k][day]})
		}
	}
	return nil
}
