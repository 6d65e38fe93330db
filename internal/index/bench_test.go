package index

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/coroner/coroner/internal/pgtest"
)

// benchRuns is the index size the benchmarks work on: a year of incidents
// for a large fleet.
const benchRuns = 10000

func fill(b *testing.B) *DB {
	return fillDSN(b, filepath.Join(b.TempDir(), FileName))
}

// fillDSN fills the index dsn names with benchRuns runs.
func fillDSN(b *testing.B, dsn string) *DB {
	b.Helper()
	ctx := context.Background()
	db, err := Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const batch = 500
	for i := 0; i < benchRuns; i += batch {
		runs := make([]Run, batch)
		for j := range runs {
			n := i + j
			runs[j] = Run{ArchiveDigest: fmt.Sprintf("%064x", n), AnalyzerSet: "set1",
				Cause: []string{"crash", "lock_wait", "gc_stw", "none"}[n%4], Severity: "critical",
				Signature: fmt.Sprintf("sig-%d", n%200), Module: fmt.Sprintf("example.com/svc%d", n%30),
				IncidentTime: t0.Add(time.Duration(n) * time.Hour)}
		}
		if err := db.Add(ctx, runs...); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// BenchmarkAdd measures one archive's run added in its own transaction,
// as batch does after each archive.
func BenchmarkAdd(b *testing.B) { benchmarkAdd(b, fill(b)) }

// BenchmarkAddPostgres is BenchmarkAdd on a real PostgreSQL server (the
// test server runs with fsync off, so this is its CPU and round-trip cost,
// not a disk's commit latency).
func BenchmarkAddPostgres(b *testing.B) { benchmarkAdd(b, fillDSN(b, pgtest.DSN(b))) }

func benchmarkAdd(b *testing.B, db *DB) {
	defer db.Close()
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := Run{ArchiveDigest: fmt.Sprintf("new-%d", i), AnalyzerSet: "set2", Cause: "crash", Signature: "sig-1"}
		if err := db.Add(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchSignature measures search --signature over benchRuns runs.
func BenchmarkSearchSignature(b *testing.B) {
	db := fill(b)
	defer db.Close()
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rs, err := db.Search(ctx, Query{Signature: "sig-7", Latest: true})
		if err != nil || len(rs) != benchRuns/200 {
			b.Fatalf("%d rows, %v", len(rs), err)
		}
	}
}
