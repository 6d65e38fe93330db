package index

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coroner/coroner/internal/benchcpu"
)

// benchIncidents is the index size the signature benchmarks read: the
// incident browser's target is its signatures page over 100,000 incidents
// in under 200 ms.
const benchIncidents = 100000

// benchEnd is when the generated incidents end.
var benchEnd = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// benchIndexEnv names the index the benchmarks use (a path, or a DSN once
// the index opens one), kept and filled once; without it the index is
// $BENCH_DIR/signatures-100k.sqlite when make bench sets BENCH_DIR, else
// a temporary file.
const benchIndexEnv = "CORONER_BENCH_INDEX"

func openBenchIndex(b *testing.B) *DB {
	b.Helper()
	dsn := os.Getenv(benchIndexEnv)
	if dsn == "" {
		dir := os.Getenv("BENCH_DIR")
		if dir == "" {
			dir = b.TempDir()
		}
		dsn = filepath.Join(dir, "signatures-100k.sqlite")
	}
	ctx := context.Background()
	db, err := Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.FillGenerated(ctx, benchIncidents, benchEnd); err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkSignatureGroups measures the signatures page's queries: the
// first page of groups by count, with value lists and a 30-day chart, of
// the newest analyzer set.
func BenchmarkSignatureGroups(b *testing.B) {
	db := openBenchIndex(b)
	ctx := context.Background()
	b.ResetTimer()
	defer benchcpu.Start(b)()
	for i := 0; i < b.N; i++ {
		groups, total, err := db.SignatureGroups(ctx, SignatureFilter{AnalyzerSet: "gen-current"}, GroupPage{Limit: 50, ChartDays: 30})
		if err != nil || len(groups) != 50 || total < 1000 {
			b.Fatalf("%d groups of %d: %v", len(groups), total, err)
		}
	}
}

// BenchmarkSignatureGroupsFiltered is the same page filtered by cause and
// a 30-day window.
func BenchmarkSignatureGroupsFiltered(b *testing.B) {
	db := openBenchIndex(b)
	ctx := context.Background()
	b.ResetTimer()
	defer benchcpu.Start(b)()
	for i := 0; i < b.N; i++ {
		groups, _, err := db.SignatureGroups(ctx, SignatureFilter{AnalyzerSet: "gen-current", Cause: "crash", Since: benchEnd.AddDate(0, 0, -30)},
			GroupPage{Limit: 50, ChartDays: 30, Sort: SortLastSeen})
		if err != nil || len(groups) == 0 {
			b.Fatalf("%d groups: %v", len(groups), err)
		}
	}
}

// BenchmarkAnalyzerSets measures listing the analyzer sets, which every
// signatures page does to choose its default.
func BenchmarkAnalyzerSets(b *testing.B) {
	db := openBenchIndex(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if sets, err := db.AnalyzerSets(ctx); err != nil || len(sets) != 2 || sets[0].AnalyzerSet != "gen-current" {
			b.Fatalf("%v: %v", sets, err)
		}
	}
}
