package index

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coroner/coroner/internal/pgtest"
)

// eachBackend runs the contract test f against a fresh SQLite index and a
// fresh database of a real PostgreSQL server (skipped with the reason when
// the server binaries are absent).
func eachBackend(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, filepath.Join(t.TempDir(), FileName)) })
	t.Run("postgres", func(t *testing.T) { f(t, pgtest.DSN(t)) })
}

func TestContractAddSearch(t *testing.T) { eachBackend(t, testAddSearch) }

func testAddSearch(t *testing.T, dsn string) {
	ctx := context.Background()
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r1 := FromResult(sampleResult("aaaa1111", "crash:nil-deref:main.handle", "crash", "example.com/shop", t0), "", "a.tar.zst")
	r2 := FromResult(sampleResult("bbbb2222", "crash:nil-deref:main.handle", "crash", "example.com/shop", t0.Add(48*time.Hour)), "", "b.tar.zst")
	r3 := FromResult(sampleResult("cccc3333", "lock_wait:main.(*cache).get", "lock_wait", "example.com/cache", t0.Add(24*time.Hour)), "", "c.tar.zst")
	if err := db.Add(ctx, r1, r2, r3); err != nil {
		t.Fatal(err)
	}
	if r1.Module != "example.com/shop" || r1.GoVersion != "go1.26.0" || r1.VCSRevision != "abc123" || r1.Host != "web-1" || r1.Culprit != "main.handle" {
		t.Errorf("FromResult inventory: %+v", r1)
	}
	// Re-adding is idempotent.
	if err := db.Add(ctx, r1); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.Count(ctx); n != 3 {
		t.Errorf("count = %d, want 3", n)
	}
	got, err := db.Search(ctx, Query{Signature: "crash:nil-deref:main.handle"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ArchiveDigest != "bbbb2222" || got[1].ArchiveDigest != "aaaa1111" {
		t.Fatalf("signature search = %+v", got)
	}
	if !got[1].IncidentTime.Equal(t0) || got[1].Culprit != "main.handle" || got[1].Source != "a.tar.zst" {
		t.Errorf("round trip lost fields: %+v", got[1])
	}
	for _, tc := range []struct {
		q    Query
		want int
	}{
		{Query{Cause: "lock_wait"}, 1},
		{Query{Module: "example.com/*"}, 3},
		{Query{Module: "example.com/shop"}, 2},
		{Query{Since: t0.Add(time.Hour)}, 2},
		{Query{Signature: "crash:*", Since: t0.Add(time.Hour)}, 1},
		{Query{Signature: "nope"}, 0},
		{Query{Limit: 1}, 1},
		{Query{Signature: "x' OR '1'='1"}, 0},
	} {
		got, err := db.Search(ctx, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tc.want {
			t.Errorf("Search(%+v) = %d rows, want %d", tc.q, len(got), tc.want)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopening keeps rows and does not re-run migrations.
	db, err = OpenExisting(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, _ := db.Count(ctx); n != 3 {
		t.Errorf("after reopen count = %d, want 3", n)
	}
}

// TestContractConcurrentShards opens one fresh index from several
// "shards" at once (migrations must run once) and has each upsert its own
// runs and a set every shard shares: no run is lost or duplicated.
func TestContractConcurrentShards(t *testing.T) { eachBackend(t, testConcurrentShards) }

func testConcurrentShards(t *testing.T, dsn string) {
	const shards, own, shared = 4, 30, 10
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, shards)
	for s := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(ctx, dsn)
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			for i := range own + shared {
				digest := fmt.Sprintf("shard%d-%03d", s, i)
				if i >= own {
					digest = fmt.Sprintf("shared-%03d", i)
				}
				r := Run{ArchiveDigest: digest, AnalyzerSet: "set", Cause: "crash", Severity: "critical",
					Signature: fmt.Sprintf("sig-%d", i%3), Source: fmt.Sprintf("shard %d", s)}
				if err := db.Add(ctx, r); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	db, err := OpenExisting(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.Count(ctx); err != nil || n != shards*own+shared {
		t.Errorf("count = %d, %v; want %d", n, err, shards*own+shared)
	}
	var applied int
	if err := db.queryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&applied); err != nil || applied != SchemaVersion() {
		t.Errorf("schema_migrations holds %d rows, %v; want %d (each migration once)", applied, err, SchemaVersion())
	}
	rs, err := db.Search(ctx, Query{Signature: "sig-1"})
	if err != nil {
		t.Fatal(err)
	}
	// i%3 == 1 for i in 0..39: 13 values, 10 of them below own per shard
	// and 3 shared.
	if want := shards*10 + 3; len(rs) != want {
		t.Errorf("signature search = %d rows, want %d", len(rs), want)
	}
}

// TestContractOpenRejects: a missing index is not created by OpenExisting,
// and an index of a newer schema is refused.
func TestContractOpenRejects(t *testing.T) { eachBackend(t, testOpenRejects) }

func testOpenRejects(t *testing.T, dsn string) {
	ctx := context.Background()
	if _, err := OpenExisting(ctx, dsn); err == nil {
		t.Fatal("OpenExisting of an index never created succeeded")
	}
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.exec(ctx, "INSERT INTO schema_migrations VALUES (?, 0)", SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(ctx, dsn); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a newer schema: %v, want a refusal", err)
	}
}

// TestPostgresPasswordNeverShown: a DSN's password appears neither in the
// index's name nor in connection errors.
func TestPostgresPasswordNeverShown(t *testing.T) {
	port := strings.TrimPrefix(pgtest.DSN(t), "postgres://postgres@127.0.0.1:")
	port = port[:strings.IndexByte(port, '/')]
	for _, dsn := range []string{
		"postgres://coroner:s3cr3t-pw@127.0.0.1:" + port + "/no_such_db?sslmode=disable",
		"postgresql://coroner@127.0.0.1:" + port + "/no_such_db?sslmode=disable&password=s3cr3t-pw",
		"postgres://coroner:s3cr3t-pw@127.0.0.1:" + port + "/x?sslmode=bogus",
	} {
		_, err := Open(context.Background(), dsn)
		if err == nil {
			t.Fatalf("Open(%s) succeeded", redact(dsn))
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error shows the password: %v", err)
		}
	}
	if r := redact("postgres://u:s3cr3t-pw@h/db?password=s3cr3t-pw"); strings.Contains(r, "s3cr3t") {
		t.Errorf("redact = %s", r)
	}
}

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":                         "SELECT 1",
		"a = ? AND b = ?":                  "a = $1 AND b = $2",
		"x = '?' AND y = ? AND \"q?\" = ?": "x = '?' AND y = $1 AND \"q?\" = $2",
	} {
		if got := postgresBackend.rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
		if got := sqliteBackend.rebind(in); got != in {
			t.Errorf("sqlite rebind(%q) = %q", in, got)
		}
	}
}

// FuzzRebind: rebinding never panics, and numbers every '?' outside quotes
// in order.
func FuzzRebind(f *testing.F) {
	for _, s := range []string{"a = ? AND b = ?", "x = '?' AND y = ?", `"?"?'`, "???"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := postgresBackend.rebind(s)
		n := strings.Count(s, "?") - strings.Count(got, "?")
		if n > 0 && !strings.Contains(got, fmt.Sprintf("$%d", n)) {
			t.Errorf("rebind(%q) = %q: %d placeholders but no $%d", s, got, n, n)
		}
	})
}
