package index

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// columns lists runs' columns in the order add and scan use.
const columns = `archive_digest, analyzer_set, incident_id, title, cause, severity, confidence,
	headline, signature, culprit, culprit_site, go_version, module, vcs_revision, host,
	incident_time, tool, source, indexed_at`

// Add inserts runs in one transaction, replacing any earlier row for the
// same archive digest and analyzer set (re-indexing is idempotent). The
// upsert is one statement, so writers adding the same run at once leave
// one row, the last writer's.
func (d *DB) Add(ctx context.Context, runs ...Run) error {
	if len(runs) == 0 {
		return nil
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index %s: begin: %w", d.path, err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, d.backend.rebind(`INSERT INTO runs (`+columns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (archive_digest, analyzer_set) DO UPDATE SET
		incident_id = excluded.incident_id, title = excluded.title, cause = excluded.cause,
		severity = excluded.severity, confidence = excluded.confidence, headline = excluded.headline,
		signature = excluded.signature, culprit = excluded.culprit, culprit_site = excluded.culprit_site,
		go_version = excluded.go_version, module = excluded.module, vcs_revision = excluded.vcs_revision,
		host = excluded.host, incident_time = excluded.incident_time, tool = excluded.tool,
		source = excluded.source, indexed_at = excluded.indexed_at`))
	if err != nil {
		return fmt.Errorf("index %s: %w", d.path, err)
	}
	defer stmt.Close()
	now := time.Now().UTC()
	for _, r := range runs {
		if r.ArchiveDigest == "" || r.AnalyzerSet == "" {
			return fmt.Errorf("index %s: run from %q lacks an archive digest or analyzer set", d.path, r.Source)
		}
		at := r.IndexedAt
		if at.IsZero() {
			at = now
		}
		var it sql.NullInt64
		if !r.IncidentTime.IsZero() {
			it = sql.NullInt64{Int64: r.IncidentTime.UnixNano(), Valid: true}
		}
		if _, err := stmt.ExecContext(ctx, r.ArchiveDigest, r.AnalyzerSet, r.IncidentID, r.Title, r.Cause,
			r.Severity, r.Confidence, r.Headline, r.Signature, r.Culprit, r.CulpritSite, r.GoVersion,
			r.Module, r.VCSRevision, r.Host, it, r.Tool, r.Source, at.UnixNano()); err != nil {
			return fmt.Errorf("index %s: adding %s: %w", d.path, r.ArchiveDigest, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("index %s: commit: %w", d.path, err)
	}
	return nil
}
