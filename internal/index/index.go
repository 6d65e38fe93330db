// Package index is coroner's incident index: an embedded SQLite database
// (modernc.org/sqlite, pure Go) with one row per archive × analyzer-set run,
// holding the verdict, its signature and culprit, and the inventory facts a
// postmortem searches by (Go version, module, VCS revision, host).
//
// The database runs in WAL mode with synchronous=FULL and every write in a
// transaction, so a process killed at any instant (SIGKILL included) leaves
// either the old or the new rows, never a torn file.
package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// FileName is the index's file name beside batch results.
const FileName = "index.sqlite"

// busyTimeoutMillis is how long a writer waits for another connection's
// lock before giving up: long enough to ride out a concurrent `coroner
// search` or a second batch finishing its transaction, which take
// milliseconds.
const busyTimeoutMillis = 15000

// DB is an open incident index.
type DB struct {
	db   *sql.DB
	path string
}

// Open opens (creating when missing) the index at path and applies any
// pending schema migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("index %s: path must not contain '?' or '#'", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("index %s: %w", path, err)
		}
	}
	dsn := fmt.Sprintf("%s?_busy_timeout=%d&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate&_foreign_keys=1",
		path, busyTimeoutMillis)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	d := &DB{db: db, path: path}
	if err := d.check(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	return d, nil
}

// OpenExisting opens an index that must already exist (for read-only
// commands such as search, so a typo does not create an empty database).
func OpenExisting(ctx context.Context, path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("index %s does not exist (create it with coroner batch or coroner index): %w", path, err)
		}
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	return Open(ctx, path)
}

// check confirms the file is a SQLite database before migrations touch it.
func (d *DB) check(ctx context.Context) error {
	var n int
	if err := d.db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		return fmt.Errorf("index %s: not a usable SQLite database: %w", d.path, err)
	}
	return nil
}

// Path returns the database file's path.
func (d *DB) Path() string { return d.path }

// Close checkpoints the write-ahead log and closes the database.
func (d *DB) Close() error {
	_, _ = d.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("index %s: closing: %w", d.path, err)
	}
	return nil
}
