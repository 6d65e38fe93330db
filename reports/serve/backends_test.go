package serve

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coroner/coroner/internal/index"
	"github.com/coroner/coroner/internal/pgtest"
)

// TestSameOnBothBackends: the same runs indexed in SQLite and in a real
// PostgreSQL server give the same pages, as JSON, byte for byte — the
// listing, a filtered and sorted listing, a second page, and the
// analyzer sets.
func TestSameOnBothBackends(t *testing.T) {
	const runs = 2000
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	serve := func(dsn string) *Server {
		ctx := context.Background()
		db, err := index.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.FillGenerated(ctx, runs, end); err != nil {
			t.Fatal(err)
		}
		results := t.TempDir()
		if err := os.Mkdir(filepath.Join(results, "results"), 0o755); err != nil {
			t.Fatal(err)
		}
		dir, err := NewDir(results)
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(Options{Index: db, Results: dir, Log: log.New(io.Discard, "", 0)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	lite := serve(filepath.Join(t.TempDir(), "index.sqlite"))
	pg := serve(pgtest.DSN(t))
	for _, path := range []string{"/signatures.json", "/signatures.json?cause=crash&sort=first", "/signatures.json?page=2",
		"/signatures.json?since=2026-05-20&until=2026-05-30&sort=signature", "/changes.json"} {
		get := func(s *Server) string {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
			if w.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", path, w.Code, w.Body)
			}
			return w.Body.String()
		}
		if a, b := get(lite), get(pg); a != b {
			t.Errorf("%s differs between SQLite and PostgreSQL:\nsqlite   %.400s\npostgres %.400s", path, a, b)
		} else if len(a) < 100 {
			t.Errorf("%s: almost empty: %s", path, a)
		}
	}
}
