package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coroner/coroner/internal/blobstore"
	"github.com/coroner/coroner/internal/s3test"
)

// BenchmarkAnalyzeCoreS3 measures, in the same run and each from a cold
// cache, analyze s3:// of an archive holding a real crash core (2,000
// goroutines, 24 MiB of incompressible heap), read in place, against what
// a user would otherwise do: fetch the object whole (as coroner did for
// an archive with a core, the seal checked on the way) and analyze the
// local copy. It reports each path's wall time and bytes the S3 endpoint
// served, and their ratios.
func BenchmarkAnalyzeCoreS3(b *testing.B) {
	exe := buildCoroner(b)
	dir := b.TempDir()
	cache := filepath.Join(dir, "cache")
	b.Setenv("CORONER_CACHE_DIR", cache)
	e := s3test.Serve(b, "bench")
	local := coreArchives(b, exe, dir, "bench-core")[0]
	url := upload(b, s3test.Key(e.Root, "incidents/"), []string{local})[0]
	st, err := os.Stat(local)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	loc, err := blobstore.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	analyze := func(input string) {
		if _, stderr, code := runCoroner(b, exe, "analyze", "--format", "json", "-o", filepath.Join(dir, "out"), input); code != 0 {
			b.Fatalf("analyze %s: exit %d: %s", input, code, stderr)
		}
	}
	// measure runs fn from a cold cache and returns its wall time, and the
	// bytes and requests the endpoint served meanwhile.
	measure := func(fn func()) (time.Duration, int64, int64) {
		b.StopTimer()
		if err := os.RemoveAll(cache); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		served, reqs, start := e.BytesServed(), e.Requests(), time.Now()
		fn()
		return time.Since(start), e.BytesServed() - served, e.Requests() - reqs
	}
	var inWall, fetchWall time.Duration
	var inBytes, fetchBytes, inReqs, fetchReqs int64
	b.ResetTimer()
	for range b.N {
		w, n, r := measure(func() { analyze(url) })
		inWall, inBytes, inReqs = inWall+w, inBytes+n, inReqs+r
		w, n, r = measure(func() {
			path, _, err := loc.Fetch(ctx, loc.Key, filepath.Join(dir, "fetched"))
			if err != nil {
				b.Fatal(err)
			}
			analyze(path)
			os.Remove(path)
		})
		fetchWall, fetchBytes, fetchReqs = fetchWall+w, fetchBytes+n, fetchReqs+r
	}
	per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(per(inWall), "inplace-s/op")
	b.ReportMetric(per(fetchWall), "fetched-s/op")
	b.ReportMetric(float64(inBytes)/float64(b.N), "inplace-B/op")
	b.ReportMetric(float64(fetchBytes)/float64(b.N), "fetched-B/op")
	n := int64(b.N)
	b.Logf("object %d bytes; in place %.2f s, %d bytes in %d requests per analysis; fetched whole %.2f s, %d bytes in %d requests: %.2f× the time, %.3f× the bytes",
		st.Size(), per(inWall), inBytes/n, inReqs/n, per(fetchWall), fetchBytes/n, fetchReqs/n,
		inWall.Seconds()/fetchWall.Seconds(), float64(inBytes)/float64(fetchBytes))
}
