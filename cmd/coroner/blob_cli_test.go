package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/coroner/coroner/internal/blobstore"
	"github.com/coroner/coroner/internal/index"
	"github.com/coroner/coroner/internal/pgtest"
	"github.com/coroner/coroner/internal/s3test"
)

// upload copies local files under prefix (an object-store URL) and returns
// their URLs.
func upload(t testing.TB, prefix string, files []string) []string {
	t.Helper()
	ctx := context.Background()
	loc, err := blobstore.Open(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, f := range files {
		key := loc.Join(filepath.Base(f))
		if err := loc.Upload(ctx, key, f); err != nil {
			t.Fatal(err)
		}
		urls = append(urls, loc.URL(key))
	}
	return urls
}

// TestShardedBatchS3 is the fleet scenario: four Indexed Job shards over
// archives in a real S3 endpoint, results stored back in it, one
// PostgreSQL index, one shard killed and re-run. The same batch over
// file:// with a SQLite index then gives the same index rows.
func TestShardedBatchS3(t *testing.T) {
	exe := buildCoroner(t)
	dir := t.TempDir()
	t.Setenv("CORONER_CACHE_DIR", filepath.Join(dir, "cache"))
	root := s3test.Start(t, "fleet")
	archives := shardArchives(t, exe, filepath.Join(dir, "in"), shardedCount(t))
	urls := upload(t, s3test.Key(root, "incidents/"), archives)
	sc := shardedScenario{exe: exe, inputs: urls, inputArg: s3test.Key(root, "incidents/"),
		out: s3test.Key(root, "reanalysis/"), index: pgtest.DSN(t)}
	sc.run(t)

	// index --from rebuilds the same rows from the stored results.
	rebuilt := filepath.Join(dir, "rebuilt.sqlite")
	if _, stderr, code := runCoroner(t, exe, "index", "--index", rebuilt, "--from", sc.out); code != 0 {
		t.Fatalf("index --from: exit %d: %s", code, stderr)
	}
	want := indexRows(t, exe, sc.index)
	if got := indexRows(t, exe, rebuilt); !slices.Equal(got, want) {
		t.Errorf("index rebuilt from stored results differs:\n got %v\nwant %v", got, want)
	}

	// The same archives as file:// into a local output and SQLite.
	fileOut := "file://" + filepath.Join(dir, "file-out") + "/"
	local := filepath.Join(dir, "local.sqlite")
	if _, stderr, code := runCoroner(t, exe, "batch", "--jobs", "2", "--out", fileOut, "--index", local, "file://"+filepath.Join(dir, "in")+"/"); code != 0 {
		t.Fatalf("batch over file://: exit %d: %s", code, stderr)
	}
	if got := indexRows(t, exe, local); !slices.Equal(got, want) {
		t.Errorf("file:// + SQLite rows differ from S3 + PostgreSQL:\n got %v\nwant %v", got, want)
	}
	for _, name := range []string{"results"} {
		a, _ := filepath.Glob(filepath.Join(dir, "file-out", name, "*.json"))
		if len(a) != len(archives) {
			t.Errorf("file:// output holds %d results, want %d", len(a), len(archives))
		}
	}
}

// shardedCount is how many archives TestShardedBatchS3 shards: 16, enough
// for four shards each to own several, or CORONER_FLEET_N, as for
// BenchmarkFleet (the fleet scenario at full size is fleetArchives).
func shardedCount(t *testing.T) int {
	v := os.Getenv("CORONER_FLEET_N")
	if v == "" {
		return 16
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 4 {
		t.Fatalf("CORONER_FLEET_N=%q: want a whole number of at least 4", v)
	}
	return n
}

// indexRows returns an index's rows as comparable strings: everything but
// where and when each was indexed.
func indexRows(t *testing.T, exe, idx string) []string {
	t.Helper()
	stdout, stderr, code := runCoroner(t, exe, "search", "--index", idx, "--all-runs", "--json")
	if code != 0 {
		t.Fatalf("search %s: exit %d: %s", idx, code, stderr)
	}
	var runs []index.Run
	if err := json.Unmarshal([]byte(stdout), &runs); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range runs {
		r.Source, r.IndexedAt = "", time.Time{}
		b, _ := json.Marshal(r)
		rows = append(rows, string(b))
	}
	slices.Sort(rows)
	return rows
}

// TestArchiveRoundTripS3: ingest -o s3://… stores an archive that fetches
// back byte for byte, verifies, and analyze s3://… gives the verdict the
// local copy gives.
func TestArchiveRoundTripS3(t *testing.T) {
	exe := buildCoroner(t)
	dir := t.TempDir()
	t.Setenv("CORONER_CACHE_DIR", filepath.Join(dir, "cache"))
	root := s3test.Key(s3test.Start(t, "tickets"), "inc/one.tar.zst")
	prof := profileDir(t, 200*time.Millisecond)
	if stdout, stderr, code := runCoroner(t, exe, "ingest", "-q", "--id", "round-trip", "-o", root, prof); code != 0 {
		t.Fatalf("ingest -o s3: exit %d: %s %s", code, stdout, stderr)
	}
	ctx := context.Background()
	loc, err := blobstore.Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := loc.ReadAll(ctx, loc.Key, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	fetched, sealed, err := loc.Fetch(ctx, loc.Key, filepath.Join(dir, "fetched"))
	if err != nil || !sealed {
		t.Fatalf("Fetch: sealed %v, %v", sealed, err)
	}
	if b, _ := os.ReadFile(fetched); !bytes.Equal(b, stored) {
		t.Error("fetched archive differs from the stored object")
	}
	if _, stderr, code := runCoroner(t, exe, "verify", fetched); code != 0 {
		t.Fatalf("verify of the fetched archive: exit %d: %s", code, stderr)
	}
	verdict := func(input, out string) string {
		if _, stderr, code := runCoroner(t, exe, "analyze", "--format", "json", "-o", out, input); code != 0 {
			t.Fatalf("analyze %s: exit %d: %s", input, code, stderr)
		}
		var r struct {
			Incident struct {
				ArchiveDigest string `json:"archive_digest"`
			} `json:"incident"`
			Verdict json.RawMessage `json:"verdict"`
		}
		b, err := os.ReadFile(filepath.Join(out, "report.json"))
		if err == nil {
			err = json.Unmarshal(b, &r)
		}
		if err != nil || r.Incident.ArchiveDigest == "" {
			t.Fatalf("analyze %s: report %v", input, err)
		}
		return r.Incident.ArchiveDigest + " " + string(r.Verdict)
	}
	if a, b := verdict(root, filepath.Join(dir, "r-s3")), verdict(fetched, filepath.Join(dir, "r-local")); a != b {
		t.Errorf("analyze s3:// and of the local copy differ:\n%s\n%s", a, b)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "cache", "fetched")); len(ents) != 0 {
		t.Errorf("analyze left %d fetched files", len(ents))
	}
}
