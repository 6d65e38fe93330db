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
# The large incident once more with its core taken the way most real
# cores come (kill -ABRT under GOTRACEBACK=crash), and the census of a
# million goroutines. The million's program holds about 4.5 GiB while it
# is snapshotted and dlv about 2.6 GiB reading it (measured: the 4.1 GB
# core and dlv's 2,634 MiB peak), so it needs 8 GiB of memory and 12 GB
# of disk (the raw core and the archive) free, or is skipped saying so.
. corpus/bench/lib.sh
for b in "CORE=abort analyze" "N=1000000 core"; do
  echo "== $b"
  if [ "$b" = "N=1000000 core" ] && ! have_room 8 12 "$BENCH_DIR"; then
    echo "== $b: skipped: $ROOM_SHORT" >&2
    continue
  fi
  env ${b% *} "corpus/bench/${b#* }.sh" || { echo "== $b: FAILED (exit $?)" >&2; status=1; }
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
