// Package index is coroner's incident index: one row per archive ×
// analyzer-set run, holding the verdict, its signature and culprit, and the
// inventory facts a postmortem searches by (Go version, module, VCS
// revision, host).
//
// Two backends share the schema, migrations and queries. The default is an
// embedded SQLite file (modernc.org/sqlite, pure Go) for one machine; it
// runs in WAL mode with synchronous=FULL and every write in a transaction,
// so a process killed at any instant (SIGKILL included) leaves either the
// old or the new rows, never a torn file. A postgres:// or postgresql://
// DSN selects PostgreSQL (github.com/jackc/pgx/v5) for an index many
// machines write at once, which WAL mode on a network filesystem cannot be.
package index

import (
	"context"
	"database/sql"
	"fmt"
)

// FileName is the index's file name beside batch results.
const FileName = "index.sqlite"

// DB is an open incident index.
type DB struct {
	db      *sql.DB
	backend backend
	// path names the index in messages: the SQLite file, or the
	// PostgreSQL DSN without its password.
	path string
}

// Open opens the index named by dsn, creating it when missing, and applies
// any pending schema migrations. A dsn starting with postgres:// or
// postgresql:// is a PostgreSQL database (which must exist); anything else
// is a SQLite file path, optionally written sqlite://PATH.
func Open(ctx context.Context, dsn string) (*DB, error) {
	return open(ctx, dsn, false)
}

// OpenExisting opens an index that must already exist (for read-only
// commands such as search, so a typo does not create an empty database).
func OpenExisting(ctx context.Context, dsn string) (*DB, error) {
	return open(ctx, dsn, true)
}

func open(ctx context.Context, dsn string, existing bool) (*DB, error) {
	if url, ok := postgresURL(dsn); ok {
		return openPostgres(ctx, url, existing)
	}
	return openSQLite(ctx, sqlitePath(dsn), existing)
}

// IsPostgres reports whether dsn names a PostgreSQL index.
func IsPostgres(dsn string) bool {
	_, ok := postgresURL(dsn)
	return ok
}

// Path returns the index's name for messages: the SQLite file's path, or
// the PostgreSQL DSN with any password removed.
func (d *DB) Path() string { return d.path }

// Close releases the index (checkpointing SQLite's write-ahead log).
func (d *DB) Close() error {
	if d.backend == sqliteBackend {
		_, _ = d.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	}
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("index %s: closing: %w", d.path, err)
	}
	return nil
}
