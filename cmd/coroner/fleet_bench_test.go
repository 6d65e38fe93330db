package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coroner/coroner/internal/pgtest"
	"github.com/coroner/coroner/internal/s3test"
)

// fleetArchives is how many archives BenchmarkFleet re-analyses: the
// acceptance figure for the fleet path (CORONER_FLEET_N overrides it).
const fleetArchives = 200

// fleetRun is one measured batch: its wall time and the CPU time of the
// process and the children it waited for.
type fleetRun struct {
	wall, cpu time.Duration
}

// runFleet runs the coroner commands of each argument list at once, each
// with its environment additions, and measures them together.
func runFleet(b *testing.B, exe string, env [][]string, args ...[]string) fleetRun {
	b.Helper()
	start := time.Now()
	var wg sync.WaitGroup
	cpus := make([]time.Duration, len(args))
	for i, a := range args {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(exe, a...)
			cmd.Env = append(os.Environ(), env[i]...)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Errorf("coroner %v: %v\n%s", a, err, out)
				return
			}
			cpus[i] = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}()
	}
	wg.Wait()
	r := fleetRun{wall: time.Since(start)}
	for _, c := range cpus {
		r.cpu += c
	}
	return r
}

// BenchmarkFleet measures, in one run over the same archives with a cold
// cache each time: batch --jobs 2 over local files into SQLite; the same
// over a real S3 endpoint into PostgreSQL; and two shard processes of
// --jobs 1 each over local files, each given one of the two CPUs. It
// reports the S3+PostgreSQL overhead (target ≤ 20 %) and the two shards'
// throughput against one batch of two jobs (target ≥ 0.9×).
func BenchmarkFleet(b *testing.B) {
	n := fleetArchives
	if s := os.Getenv("CORONER_FLEET_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	exe := buildCoroner(b)
	dir := b.TempDir()
	root := s3test.Start(b, "fleet")
	archives := shardArchives(b, exe, filepath.Join(dir, "in"), n)
	upload(b, s3test.Key(root, "incidents/"), archives)
	var size int64
	for _, a := range archives {
		if st, err := os.Stat(a); err == nil {
			size += st.Size()
		}
	}
	b.Logf("%d archives, %d KiB", n, size>>10)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cache := func(name string) []string {
			return []string{"CORONER_CACHE_DIR=" + filepath.Join(dir, fmt.Sprintf("cache-%d-%s", i, name))}
		}
		out := func(name string) string { return filepath.Join(dir, fmt.Sprintf("out-%d-%s", i, name)) }
		local := runFleet(b, exe, [][]string{cache("local")},
			[]string{"batch", "--jobs", "2", "--out", out("local"), filepath.Join(dir, "in")})
		remote := runFleet(b, exe, [][]string{cache("s3")},
			[]string{"batch", "--jobs", "2", "--out", s3test.Key(root, fmt.Sprintf("out-%d/", i)), "--index", pgtest.DSN(b), s3test.Key(root, "incidents/")})
		// Each shard stands for a pod holding half the machine: one CPU,
		// as GOMAXPROCS=1 says and as Go reads a 1-CPU cgroup limit
		// itself. Without it each shard would size its child to both
		// cores, beside the other shard's.
		half := func(name string) []string { return append(cache(name), "GOMAXPROCS=1") }
		shards := runFleet(b, exe, [][]string{half("shard0"), half("shard1")},
			[]string{"batch", "--jobs", "1", "--shard", "0/2", "--out", out("shards"), filepath.Join(dir, "in")},
			[]string{"batch", "--jobs", "1", "--shard", "1/2", "--out", out("shards"), filepath.Join(dir, "in")})
		b.Logf("local+SQLite: wall %.2fs cpu %.2fs; S3+PostgreSQL: wall %.2fs cpu %.2fs; 2 shards: wall %.2fs cpu %.2fs",
			local.wall.Seconds(), local.cpu.Seconds(), remote.wall.Seconds(), remote.cpu.Seconds(), shards.wall.Seconds(), shards.cpu.Seconds())
		b.ReportMetric(remote.wall.Seconds()/local.wall.Seconds()-1, "s3pg-overhead-wall")
		b.ReportMetric(remote.cpu.Seconds()/local.cpu.Seconds()-1, "s3pg-overhead-cpu")
		b.ReportMetric(local.wall.Seconds()/shards.wall.Seconds(), "shards-throughput-x")
		b.ReportMetric(float64(n)/local.wall.Seconds(), "archives/s")
	}
}
