package index

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migration is one schema step, spelled for each backend. Both spellings
// store the same columns: text as TEXT, scores as 64-bit floats, times as
// 64-bit Unix nanoseconds (no time types: the two backends' differ).
type migration struct {
	sqlite   string
	postgres []string // one statement each
}

// migrations are applied in order, each once, each in its own transaction,
// and recorded in schema_migrations. Append new ones; never edit old ones.
var migrations = []migration{
	// 1: one row per archive × analyzer-set run.
	{
		sqlite: createRunsTable(false) + `;
	CREATE INDEX runs_signature ON runs(signature);
	CREATE INDEX runs_cause ON runs(cause);
	CREATE INDEX runs_module ON runs(module);
	CREATE INDEX runs_time ON runs(coalesce(incident_time, indexed_at));`,
		postgres: []string{
			createRunsTable(true),
			`CREATE INDEX runs_signature ON runs(signature)`,
			`CREATE INDEX runs_cause ON runs(cause)`,
			`CREATE INDEX runs_module ON runs(module)`,
			`CREATE INDEX runs_time ON runs((coalesce(incident_time, indexed_at)))`,
		},
	},
	// 2: for signature listings (coroner serve): a covering index of one
	// analyzer set's runs in signature order with every column the
	// listing reads, so grouping 100,000 runs reads only the index, in
	// order, without touching the table or sorting; and each set's
	// indexing times, so the analyzer sets and the newest of them are
	// found without reading every run.
	{
		sqlite: `CREATE INDEX runs_set_signature ON runs(analyzer_set, signature, cause, incident_time, indexed_at, severity,
		culprit, module, go_version, vcs_revision, archive_digest);
	CREATE INDEX runs_set_indexed ON runs(analyzer_set, indexed_at);`,
		postgres: []string{
			`CREATE INDEX runs_set_signature ON runs(analyzer_set, signature, cause, incident_time, indexed_at, severity,
		culprit, module, go_version, vcs_revision, archive_digest)`,
			`CREATE INDEX runs_set_indexed ON runs(analyzer_set, indexed_at)`,
		},
	},
}

// SchemaVersion is the schema version this build writes (the number of
// migrations).
func SchemaVersion() int { return len(migrations) }

// migrator is what migrations run on: the database (SQLite) or the one
// connection holding the advisory lock (PostgreSQL).
type migrator interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// migrate brings the database up to SchemaVersion. A database from a newer
// coroner (more migrations than this build knows) is refused rather than
// written with an older idea of the schema.
func migrate(ctx context.Context, db migrator, b backend) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}
	var have int
	if err := db.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&have); err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this coroner knows (%d); upgrade coroner", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		if err := apply(ctx, db, b, v); err != nil {
			return err
		}
	}
	return nil
}

// apply runs migration v and records it in the same transaction, so a kill
// midway leaves the schema at v-1.
func apply(ctx context.Context, db migrator, b backend, v int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %d: %w", v, err)
	}
	defer tx.Rollback()
	var done int
	if err := tx.QueryRowContext(ctx, b.rebind("SELECT count(*) FROM schema_migrations WHERE version = ?"), v).Scan(&done); err != nil {
		return fmt.Errorf("migration %d: %w", v, err)
	}
	if done > 0 { // another process applied it while we waited for the lock
		return nil
	}
	stmts := []string{migrations[v-1].sqlite}
	if b == postgresBackend {
		stmts = migrations[v-1].postgres
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	if _, err := tx.ExecContext(ctx, b.rebind("INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)"), v, time.Now().UnixNano()); err != nil {
		return fmt.Errorf("migration %d: recording: %w", v, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %d: commit: %w", v, err)
	}
	return nil
}
