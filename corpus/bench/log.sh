#!/usr/bin/env bash
# Finding the runtime's output in a large service log: `coroner crash LOG`
# and `coroner goroutines LOG` (the log read where it lies, only its head
# and its last 64 MiB) against `grep -c '^goroutine '` over the same file
# in the same run. Prints wall time and peak RSS (/usr/bin/time -v) of
# each, the ratio, and checks that coroner named the crash.
#
# The input is LOG_BYTES (default 1 GiB) of a service's log, plain and as
# dockerd's json-file driver stores it: JSON application lines with real
# gctrace lines among them (one every 100 lines) and a real crash
# traceback at the end, all from a run of corpus/bench/loggen that
# crashed with GODEBUG=gctrace=1; reused on later runs.
#
# Environment: CORONER (default bin/coroner), BENCH_DIR (corpus/out/bench),
# LOG_BYTES (1073741824), LOG_RUNS (3: the best of each is reported).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=corpus/bench/lib.sh
. corpus/bench/lib.sh
built_coroner log.sh
SIZE=${LOG_BYTES:-1073741824}
RUNS=${LOG_RUNS:-3}
dir=$BENCH_DIR/log
mkdir -p "$dir"
gen=$dir/loggen
go build -o "$gen" ./corpus/bench/loggen
if [ ! -s "$dir/runtime.txt" ]; then
  GODEBUG=gctrace=1 GOTRACEBACK=all "$gen" -crash 2> "$dir/runtime.txt" && { echo "log.sh: loggen -crash did not crash" >&2; exit 1; }
fi
plain=$dir/service-$SIZE.log
docker=$dir/docker-$SIZE.log
if [ ! -s "$plain" ]; then
  echo "log.sh: writing $plain ($SIZE bytes)" >&2
  "$gen" -size "$SIZE" -runtime "$dir/runtime.txt" > "$plain"
fi
if [ ! -s "$docker" ]; then
  echo "log.sh: writing $docker (the same lines as dockerd's json-file records)" >&2
  "$gen" -size "$SIZE" -runtime "$dir/runtime.txt" -docker > "$docker"
fi

# measure NAME CMD... : best wall seconds and its peak RSS KiB over RUNS runs.
declare -A wall rss
measure() {
  local name=$1; shift
  local t; t=$(mktemp)
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -v -o "$t" "$@" >/dev/null 2>&1 || { echo "log.sh: $name failed" >&2; rm -f "$t"; return 1; }
    local w r
    w=$(time_wall "$t")
    r=$(time_rss "$t")
    if [ -z "${wall[$name]:-}" ] || awk -v a="$w" -v b="${wall[$name]}" 'BEGIN { exit !(a < b) }'; then
      wall[$name]=$w; rss[$name]=$r
    fi
  done
  rm -f "$t"
}

cat "$plain" "$docker" > /dev/null # the page cache holds both for every command alike
for f in plain docker; do
  log=$plain; [ $f = docker ] && log=$docker
  echo "input: $log ($(du -h "$log" | cut -f1))"
  measure "crash_$f" "$COR" crash "$log"
  measure "goroutines_$f" "$COR" goroutines "$log"
  # grep exits 1 when it counts none (a json-file log's lines start with '{').
  measure "grep_$f" sh -c 'grep -c "^goroutine " "$0"; [ $? -le 1 ]' "$log"
  if ! "$COR" crash "$log" 2>/dev/null | grep -q 'assignment to entry in nil map'; then
    echo "log.sh: coroner did not find the crash in $log" >&2; exit 1
  fi
done

printf '%-44s %9s %10s\n' "command" "wall s" "peak MiB"
row() { printf '%-44s %9.2f %10.1f\n' "$1" "${wall[$2]}" "$(awk -v k="${rss[$2]}" 'BEGIN { print k / 1024 }')"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.1f", b / a; else print "inf" }'; }
for f in plain docker; do
  row "coroner crash ($f)" "crash_$f"
  row "coroner goroutines ($f)" "goroutines_$f"
  row "grep -c '^goroutine ' ($f)" "grep_$f"
done
status=0
for f in plain docker; do
  echo "$f: coroner crash is $(ratio "${wall[crash_$f]}" "${wall[grep_$f]}")x as fast as grep -c (target > 1x); peak RSS $(awk -v k="${rss[crash_$f]}" 'BEGIN { printf "%.1f", k / 1024 }') MiB (target <= 64 MiB)"
  awk -v a="${wall[crash_$f]}" -v b="${wall[grep_$f]}" -v r="${rss[crash_$f]}" 'BEGIN { exit !(a < b && r <= 65536) }' || status=1
done
exit $status
