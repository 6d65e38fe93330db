#!/usr/bin/env bash
# Batch throughput: `coroner batch --jobs 2` over N (default 50) archives
# against what a user would otherwise run, a shell loop of
# `coroner analyze` on each archive, in the same run. Prints wall time and
# peak RSS (/usr/bin/time -v) of both and their ratios.
#
# The N archives are distinct incidents (each its own manifest and digest)
# re-ingested from the corpus captures: corpus/testdata/*.tar.zst, else
# corpus/out/*.tar.zst, else a fresh short capture of every scenario.
#
# Environment: CORONER (default bin/coroner), BENCH_DIR (corpus/out/bench),
# BATCH_N (50), JOBS (2).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=corpus/bench/lib.sh
. corpus/bench/lib.sh
built_coroner batch.sh
N=${BATCH_N:-50}
JOBS=${JOBS:-2}
dir=$BENCH_DIR/batch
mkdir -p "$dir/archives"

# Archives written by an older archive format are remade, not measured.
shopt -s nullglob
stale() { local a=("$@"); [ ${#a[@]} -gt 0 ] && ! "$COR" verify "${a[0]}" >/dev/null 2>&1; }
if stale "$dir"/base/*.tar.zst; then rm -rf "$dir/base"; fi
if stale "$dir"/archives/*.tar.zst; then rm -rf "$dir/archives"; mkdir -p "$dir/archives"; fi

# Base captures.
bases=(corpus/testdata/*.tar.zst)
stale "${bases[@]}" && bases=()
[ ${#bases[@]} -gt 0 ] || bases=(corpus/out/*.tar.zst)
stale "${bases[@]}" && bases=()
if [ ${#bases[@]} -eq 0 ]; then
  [ -d "$dir/base" ] && bases=("$dir"/base/*.tar.zst)
  if [ ${#bases[@]} -eq 0 ]; then
    echo "batch.sh: capturing the corpus scenarios (short) into $dir/base" >&2
    OUT="$dir/base" DURATION=${DURATION:-3s} COLLECT_FLAGS=${COLLECT_FLAGS:---core none} \
      corpus/scripts/capture-all.sh >&2 || true
    bases=("$dir"/base/*.tar.zst)
  fi
fi
[ ${#bases[@]} -gt 0 ] || { echo "batch.sh: no base archives" >&2; exit 2; }

# N distinct archives: each base's artifacts re-ingested under a new ID.
have=$(ls "$dir/archives" | wc -l)
if [ "$have" -lt "$N" ]; then
  echo "batch.sh: making $N archives from ${#bases[@]} captures" >&2
  rm -rf "$dir/archives" "$dir/x"
  mkdir -p "$dir/archives" "$dir/x"
  for i in $(seq 1 "$N"); do
    b=${bases[$(( (i - 1) % ${#bases[@]} ))]}
    x="$dir/x/$i"
    "$COR" extract -C "$x" "$b" >/dev/null
    "$COR" ingest -q --id "bench-$i" --label bench=batch -o "$dir/archives/bench-$(printf %03d "$i").tar.zst" "$x/artifacts" >/dev/null
    rm -rf "$x"
  done
fi
archives=("$dir"/archives/*.tar.zst)
echo "batch.sh: ${#archives[@]} archives, $(du -sh "$dir/archives" | cut -f1)"

# measure LABEL CMD...: runs CMD under /usr/bin/time -v, sets WALL (s), CPU
# (user + system s, of it and its children) and RSS (KiB). CPU time is the
# figure to trust on a loaded machine, where wall time swings with others' work.
measure() {
  local label=$1; shift
  local tf; tf=$(mktemp)
  /usr/bin/time -v -o "$tf" "$@" >/dev/null 2>"$dir/$label.stderr" || true
  WALL=$(time_wall "$tf")
  RSS=$(time_rss "$tf")
  CPU=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$tf")
  rm -f "$tf"
  printf '%-28s wall %8.2f s   cpu %8.2f s   peak RSS %8d KiB\n' "$label" "$WALL" "$CPU" "$RSS"
}

# The same analyzers, the same archives, the extraction cache cold for both.
export CORONER_CACHE_DIR="$dir/cache"
rm -rf "$dir/loop-out" "$dir/batch-out" "$CORONER_CACHE_DIR"
mkdir -p "$dir/loop-out"
# The per-archive command: analyze, or report on builds without it.
one=analyze
"$COR" analyze --help >/dev/null 2>&1 || one=report
measure "shell loop of $one" bash -c '
  cor=$1; one=$2; out=$3; shift 3
  for a in "$@"; do
    "$cor" "$one" --format json -o "$out/$(basename "$a" .tar.zst)" "$a" >/dev/null 2>&1 || true
  done' _ "$COR" "$one" "$dir/loop-out" "${archives[@]}"
loop_wall=$WALL loop_rss=$RSS loop_cpu=$CPU
loop_ok=$(ls "$dir"/loop-out/*/report.json 2>/dev/null | wc -l)
echo "batch.sh: the loop analyzed $loop_ok of ${#archives[@]} archives"
rm -rf "$CORONER_CACHE_DIR"
measure "batch --jobs $JOBS" "$COR" batch --jobs "$JOBS" --out "$dir/batch-out" "${archives[@]}"
batch_wall=$WALL batch_rss=$RSS batch_cpu=$CPU
ok=$(grep -c '"status": "ok"' "$dir/batch-out/summary.json" || true)
echo "batch.sh: batch analyzed $ok of ${#archives[@]} archives (see $dir/batch-out/summary.json)"
if [ "$ok" -ne "${#archives[@]}" ] || [ "$loop_ok" -ne "${#archives[@]}" ]; then
  echo "batch.sh: not every archive was analyzed; the timings compare unequal work" >&2
  exit 1
fi
measure "batch re-run (all stored)" "$COR" batch --jobs "$JOBS" --out "$dir/batch-out" "${archives[@]}"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
awk -v lw="$loop_wall" -v bw="$batch_wall" -v lr="$loop_rss" -v br="$batch_rss" -v lc="$loop_cpu" -v bc="$batch_cpu" -v j="$JOBS" 'BEGIN {
  printf "speed-up batch vs loop: %.2fx wall (target >= 1.5x), %.2fx CPU time\n", lw / bw, lc / bc
  printf "peak RSS batch / loop:  %.2fx (bounded by %d jobs x one archive)\n", br / lr, j
}'
