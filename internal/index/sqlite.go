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

// sqliteScheme optionally prefixes a SQLite index's path.
const sqliteScheme = "sqlite://"

// busyTimeoutMillis is how long a writer waits for another connection's
// lock before giving up: long enough to ride out a concurrent `coroner
// search` or a second batch finishing its transaction, which take
// milliseconds.
const busyTimeoutMillis = 15000

// sqlitePath returns the file path a SQLite DSN names.
func sqlitePath(dsn string) string {
	return strings.TrimPrefix(dsn, sqliteScheme)
}

// openSQLite opens (creating unless existing) the SQLite index at path.
func openSQLite(ctx context.Context, path string, existing bool) (*DB, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("index %s: path must not contain '?' or '#'", path)
	}
	if existing {
		if _, err := os.Stat(path); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("index %s does not exist (create it with coroner batch or coroner index): %w", path, err)
			}
			return nil, fmt.Errorf("index %s: %w", path, err)
		}
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("index %s: %w", path, err)
		}
	}
	// A listing of 100,000 runs (coroner serve) reads the whole covering
	// index: mapping the file and a 64 MiB page cache per connection keep
	// it from re-reading pages through system calls (0.20 s per listing
	// without them, 0.11 s with, on the 2-core benchmark machine).
	dsn := fmt.Sprintf("%s?_busy_timeout=%d&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate&_foreign_keys=1"+
		"&_pragma=mmap_size(1073741824)&_pragma=cache_size(-65536)", path, busyTimeoutMillis)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	d := &DB{db: db, backend: sqliteBackend, path: path}
	// The file must be a SQLite database before migrations touch it.
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		db.Close()
		return nil, fmt.Errorf("index %s: not a usable SQLite database: %w", path, err)
	}
	// SQLite's immediate transactions serialize writers, so each
	// migration's transaction is its own lock.
	if err := migrate(ctx, db, sqliteBackend); err != nil {
		db.Close()
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	return d, nil
}
