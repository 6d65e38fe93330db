package index

import "testing"

// shippedRunsSQLite and shippedRunsPostgres are migration 1's first
// statements as released: the generated text must stay byte-identical, or
// databases created by earlier builds would differ from new ones.
const shippedRunsSQLite = `CREATE TABLE runs (
		archive_digest TEXT NOT NULL,
		analyzer_set   TEXT NOT NULL,
		incident_id    TEXT NOT NULL DEFAULT '',
		title          TEXT NOT NULL DEFAULT '',
		cause          TEXT NOT NULL DEFAULT '',
		severity       TEXT NOT NULL DEFAULT '',
		confidence     REAL NOT NULL DEFAULT 0,
		headline       TEXT NOT NULL DEFAULT '',
		signature      TEXT NOT NULL DEFAULT '',
		culprit        TEXT NOT NULL DEFAULT '',
		culprit_site   TEXT NOT NULL DEFAULT '',
		go_version     TEXT NOT NULL DEFAULT '',
		module         TEXT NOT NULL DEFAULT '',
		vcs_revision   TEXT NOT NULL DEFAULT '',
		host           TEXT NOT NULL DEFAULT '',
		incident_time  INTEGER,
		tool           TEXT NOT NULL DEFAULT '',
		source         TEXT NOT NULL DEFAULT '',
		indexed_at     INTEGER NOT NULL,
		PRIMARY KEY (archive_digest, analyzer_set)
	);
	CREATE INDEX runs_signature ON runs(signature);
	CREATE INDEX runs_cause ON runs(cause);
	CREATE INDEX runs_module ON runs(module);
	CREATE INDEX runs_time ON runs(coalesce(incident_time, indexed_at));`

const shippedRunsPostgres = `CREATE TABLE runs (
		archive_digest TEXT NOT NULL,
		analyzer_set   TEXT NOT NULL,
		incident_id    TEXT NOT NULL DEFAULT '',
		title          TEXT NOT NULL DEFAULT '',
		cause          TEXT NOT NULL DEFAULT '',
		severity       TEXT NOT NULL DEFAULT '',
		confidence     DOUBLE PRECISION NOT NULL DEFAULT 0,
		headline       TEXT NOT NULL DEFAULT '',
		signature      TEXT NOT NULL DEFAULT '',
		culprit        TEXT NOT NULL DEFAULT '',
		culprit_site   TEXT NOT NULL DEFAULT '',
		go_version     TEXT NOT NULL DEFAULT '',
		module         TEXT NOT NULL DEFAULT '',
		vcs_revision   TEXT NOT NULL DEFAULT '',
		host           TEXT NOT NULL DEFAULT '',
		incident_time  BIGINT,
		tool           TEXT NOT NULL DEFAULT '',
		source         TEXT NOT NULL DEFAULT '',
		indexed_at     BIGINT NOT NULL,
		PRIMARY KEY (archive_digest, analyzer_set)
	)`

func TestMigrationOneIsAsShipped(t *testing.T) {
	if got := migrations[0].sqlite; got != shippedRunsSQLite {
		t.Errorf("SQLite migration 1 changed:\n%s\nwant:\n%s", got, shippedRunsSQLite)
	}
	if got := migrations[0].postgres[0]; got != shippedRunsPostgres {
		t.Errorf("PostgreSQL migration 1 changed:\n%s\nwant:\n%s", got, shippedRunsPostgres)
	}
}
