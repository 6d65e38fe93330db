#!/usr/bin/env bash
# Runs every side-by-side benchmark: coroner against the tool a user would
# otherwise run, in the same run, printing wall time, peak RSS and ratios.
# Each script generates the large inputs it needs under BENCH_DIR (default:
# corpus/out/bench, ignored by git) and reuses them on later runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
export BENCH_DIR="${BENCH_DIR:-$PWD/corpus/out/bench}"
mkdir -p "$BENCH_DIR"
status=0
for b in archive perf core analyze batch log; do
  script="corpus/bench/$b.sh"
  [ -x "$script" ] || { echo "== $b: no benchmark script" >&2; continue; }
  echo "== $b"
  "$script" || { echo "== $b: FAILED (exit $?)" >&2; status=1; }
  echo
done
echo "== Go benchmarks"
go test -run '^$' -bench . -benchtime 3x ./bundle/... ./reports/... ./internal/index/... || status=1
# The fleet path: 200 archives through a real S3 endpoint and PostgreSQL
# against local files and SQLite, and two shards against --jobs 2.
go test -run '^$' -bench BenchmarkFleet -benchtime 1x -timeout 30m ./cmd/coroner || status=1
# analyze s3:// of an archive with a crash core: read in place against
# fetched whole and analysed as a local copy.
go test -run '^$' -bench BenchmarkAnalyzeCoreS3 -benchtime 3x ./cmd/coroner || status=1
exit $status
