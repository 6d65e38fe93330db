package index

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// migrationLockKey is the PostgreSQL advisory lock migrations run under,
// so shards starting at once apply each migration once. Any constant
// other applications on the same database do not use will do: this one is
// the ASCII of "coroner" read as a big-endian integer.
const migrationLockKey int64 = 0x636f726f6e6572

// postgresURL returns dsn when it is a PostgreSQL URL.
func postgresURL(dsn string) (string, bool) {
	l := strings.ToLower(dsn)
	return dsn, strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// redact returns dsn without its password (in the user part or a
// password parameter), for messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable DSN)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// openPostgres connects to the PostgreSQL database dsn names and brings
// its schema up to date; with existing, a database without coroner's
// schema is refused instead.
func openPostgres(ctx context.Context, dsn string, existing bool) (*DB, error) {
	name := redact(dsn)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		// pgx's parse errors quote the DSN; name the index without it.
		return nil, fmt.Errorf("index %s: invalid PostgreSQL DSN", name)
	}
	d := &DB{db: db, backend: postgresBackend, path: name}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("index %s: connecting: %w", name, err)
	}
	if existing {
		var have bool
		if err := db.QueryRowContext(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&have); err != nil {
			db.Close()
			return nil, fmt.Errorf("index %s: %w", name, err)
		}
		if !have {
			db.Close()
			return nil, fmt.Errorf("index %s holds no coroner index (create it with coroner batch or coroner index)", name)
		}
	}
	if err := migratePostgres(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("index %s: %w", name, err)
	}
	return d, nil
}

// migratePostgres runs migrate on one connection holding the advisory
// lock: concurrent openers wait, then find the migrations applied.
func migratePostgres(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		return fmt.Errorf("migrations: taking the advisory lock: %w", err)
	}
	// The lock is the session's: unlocking fails only if the connection
	// broke, which releases it too.
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey)
	return migrate(ctx, conn, postgresBackend)
}
