package index

import "strings"

// columnType is a column's kind, spelled per backend by sqlType.
type columnType int

const (
	textColumn  columnType = iota // TEXT in both
	floatColumn                   // a 64-bit float: REAL, DOUBLE PRECISION
	int64Column                   // a 64-bit integer: INTEGER, BIGINT
)

// sqlType spells t for SQLite (whose REAL and INTEGER are 64-bit) or
// PostgreSQL (whose REAL and INTEGER are 32-bit).
func (t columnType) sqlType(postgres bool) string {
	switch {
	case t == floatColumn && postgres:
		return "DOUBLE PRECISION"
	case t == floatColumn:
		return "REAL"
	case t == int64Column && postgres:
		return "BIGINT"
	case t == int64Column:
		return "INTEGER"
	}
	return "TEXT"
}

// column is one column of a CREATE TABLE: its name, kind and what follows
// the type (NOT NULL, DEFAULT).
type column struct {
	name  string
	kind  columnType
	extra string
}

// runsColumns are the columns of the runs table as migration 1 created
// them, in order.
var runsColumns = []column{
	{"archive_digest", textColumn, " NOT NULL"},
	{"analyzer_set", textColumn, " NOT NULL"},
	{"incident_id", textColumn, " NOT NULL DEFAULT ''"},
	{"title", textColumn, " NOT NULL DEFAULT ''"},
	{"cause", textColumn, " NOT NULL DEFAULT ''"},
	{"severity", textColumn, " NOT NULL DEFAULT ''"},
	{"confidence", floatColumn, " NOT NULL DEFAULT 0"},
	{"headline", textColumn, " NOT NULL DEFAULT ''"},
	{"signature", textColumn, " NOT NULL DEFAULT ''"},
	{"culprit", textColumn, " NOT NULL DEFAULT ''"},
	{"culprit_site", textColumn, " NOT NULL DEFAULT ''"},
	{"go_version", textColumn, " NOT NULL DEFAULT ''"},
	{"module", textColumn, " NOT NULL DEFAULT ''"},
	{"vcs_revision", textColumn, " NOT NULL DEFAULT ''"},
	{"host", textColumn, " NOT NULL DEFAULT ''"},
	{"incident_time", int64Column, ""},
	{"tool", textColumn, " NOT NULL DEFAULT ''"},
	{"source", textColumn, " NOT NULL DEFAULT ''"},
	{"indexed_at", int64Column, " NOT NULL"},
}

// createRunsTable is migration 1's CREATE TABLE runs statement for one
// backend, without a terminating semicolon. Its text must never change
// once shipped: a test holds both spellings.
func createRunsTable(postgres bool) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE runs (\n")
	for _, c := range runsColumns {
		// Names are padded to the longest (archive_digest, 14 bytes).
		b.WriteString("\t\t" + c.name + strings.Repeat(" ", 15-len(c.name)) + c.kind.sqlType(postgres) + c.extra + ",\n")
	}
	b.WriteString("\t\tPRIMARY KEY (archive_digest, analyzer_set)\n\t)")
	return b.String()
}
