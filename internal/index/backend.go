package index

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// backend is the database behind an index.
type backend int

const (
	sqliteBackend backend = iota
	postgresBackend
)

// rebind rewrites a query written with '?' placeholders for b:
// PostgreSQL numbers them ($1, $2, …). A '?' inside a quoted literal or
// identifier is left alone.
func (b backend) rebind(query string) string {
	if b != postgresBackend || !strings.Contains(query, "?") {
		return query
	}
	var out strings.Builder
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			out.WriteString("$" + strconv.Itoa(n))
			continue
		}
		out.WriteByte(c)
	}
	return out.String()
}

// exec, query and queryRow run a '?'-placeholder statement on either
// backend; every query in this package goes through them.
func (d *DB) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return d.db.ExecContext(ctx, d.backend.rebind(q), args...)
}

func (d *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return d.db.QueryContext(ctx, d.backend.rebind(q), args...)
}

func (d *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return d.db.QueryRowContext(ctx, d.backend.rebind(q), args...)
}
