package serve

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coroner/coroner/internal/benchcpu"
	"github.com/coroner/coroner/internal/index"
	"github.com/coroner/coroner/internal/pgtest"
)

// benchIncidents is the index size of the page benchmarks: the signatures
// page must answer in under 200 ms over 100,000 incidents.
const benchIncidents = 100000

// benchIndexEnv names the index the benchmarks use (a path, or a DSN once
// the index opens one: the same benchmark then runs on PostgreSQL), kept
// and filled once; without it the index is $BENCH_DIR/signatures-100k.sqlite
// when make bench sets BENCH_DIR, else a temporary file.
const benchIndexEnv = "CORONER_BENCH_INDEX"

func benchServer(b *testing.B, noCache bool) *Server {
	b.Helper()
	return benchServerOn(b, os.Getenv(benchIndexEnv), noCache)
}

// benchServerOn is benchServer over the index at dsn ("" for a SQLite
// file in BENCH_DIR or a temporary directory).
func benchServerOn(b *testing.B, dsn string, noCache bool) *Server {
	b.Helper()
	if dsn == "" {
		dir := os.Getenv("BENCH_DIR")
		if dir == "" {
			dir = b.TempDir()
		}
		dsn = filepath.Join(dir, "signatures-100k.sqlite")
	}
	ctx := context.Background()
	db, err := index.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.FillGenerated(ctx, benchIncidents, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		b.Fatal(err)
	}
	results := b.TempDir()
	if err := os.Mkdir(filepath.Join(results, "results"), 0o755); err != nil {
		b.Fatal(err)
	}
	dir, err := NewDir(results)
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(Options{Index: db, Results: dir, NoCache: noCache, Log: log.New(io.Discard, "", 0)})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchPage(b *testing.B, s *Server, path string) {
	b.Helper()
	b.ResetTimer()
	defer benchcpu.Start(b)()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusOK || strings.Count(w.Body.String(), `<tr class="sig">`) != pageSize {
			b.Fatalf("%s: %d\n%.500s", path, w.Code, w.Body.String())
		}
	}
}

// BenchmarkSignaturesPage renders the signatures page (newest analyzer
// set, by count, 50 rows with their values and 30-day charts) over
// 100,000 incidents, its queries run afresh every time.
func BenchmarkSignaturesPage(b *testing.B) {
	benchPage(b, benchServer(b, true), "/signatures")
}

// BenchmarkSignaturesPageFiltered is the page filtered by cause and the
// last 30 days, sorted by last seen, queries afresh.
// BenchmarkSignaturesPagePostgres is BenchmarkSignaturesPage on a real
// PostgreSQL server started for the benchmark (skipped without one).
func BenchmarkSignaturesPagePostgres(b *testing.B) {
	benchPage(b, benchServerOn(b, pgtest.DSN(b), true), "/signatures")
}

func BenchmarkSignaturesPageFiltered(b *testing.B) {
	benchPage(b, benchServer(b, true), "/signatures?cause=crash&since=2026-05-01&sort=last")
}

// BenchmarkSignaturesPageUnchanged is the page viewed again while the
// index has not changed: the listing is reused.
func BenchmarkSignaturesPageUnchanged(b *testing.B) {
	s := benchServer(b, false)
	s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/signatures", nil))
	benchPage(b, s, "/signatures")
}
