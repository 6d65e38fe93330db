#!/usr/bin/env bash
# perf.data reading: `coroner perf --top 20` against what a user would
# otherwise run on the same file in the same run — `perf report --stdio`
# (its defaults), `perf report --stdio --no-children --sort sym` (the same
# flat table coroner prints) and `perf script > /dev/null`. Prints wall time
# and peak RSS (/usr/bin/time -v) of each, the ratios, and whether the
# top-20 functions and their sample counts agree.
#
# The input is a real capture: `perf record -g -F 9999` of a busy Go
# program (several goroutines hashing, spinning and reading /dev/zero) for
# PERF_SECONDS (default 20), recorded again longer until it holds at least
# PERF_MIN_SAMPLES (default 200000) samples; reused on later runs.
# Both tools name kernel frames from the same kallsyms snapshot.
#
# Environment: CORONER (default bin/coroner), BENCH_DIR (corpus/out/bench),
# PERF_SECONDS (20), PERF_MIN_SAMPLES (200000).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=corpus/bench/lib.sh
. corpus/bench/lib.sh
command -v perf >/dev/null || { echo "perf.sh: perf is not installed; skipped"; exit 0; }
built_coroner perf.sh
SECONDS_=${PERF_SECONDS:-20}
MIN=${PERF_MIN_SAMPLES:-200000}
dir=$BENCH_DIR/perf
mkdir -p "$dir"
data=$dir/perf.data
ks=$dir/kallsyms

samples() { "$COR" perf --top 1 "$1" 2>/dev/null | sed -n 's/^# Samples: \([0-9]*\) .*/\1/p'; }

if [ ! -s "$data" ] || [ ! -x "$dir/busy" ] || [ "$(samples "$data")" -lt "$MIN" ]; then
  go build -o "$dir/busy" ./bundle/perfdata/testdata/busy
  secs=$SECONDS_
  for try in 1 2 3; do
    echo "perf.sh: recording $dir/busy for ${secs}s at 9999 Hz with -g" >&2
    perf record -q --no-buildid-cache -g -F 9999 -o "$data" "$dir/busy" "${secs}s" 2>/dev/null
    n=$(samples "$data")
    [ "$n" -ge "$MIN" ] && break
    # A loaded machine gives the program less CPU: scale the duration.
    secs=$(( secs * MIN / (n > 0 ? n : 1) + 5 ))
  done
fi
cp /proc/kallsyms "$ks"
n=$(samples "$data")
echo "input: $data ($(du -h "$data" | cut -f1), $n samples, -g -F 9999)"

# measure NAME CMD... : wall seconds and peak RSS KiB of one run, output discarded.
declare -A wall rss
measure() {
  local name=$1; shift
  local t; t=$(mktemp)
  /usr/bin/time -v -o "$t" "$@" >/dev/null 2>&1 || { echo "perf.sh: $name failed" >&2; rm -f "$t"; return 1; }
  wall[$name]=$(time_wall "$t")
  rss[$name]=$(time_rss "$t")
  rm -f "$t"
}

measure coroner "$COR" perf --top 20 --kallsyms "$ks" "$data"
measure report perf report -i "$data" --stdio --kallsyms "$ks"
measure report_flat perf report -i "$data" --stdio --no-children --sort sym -n -g none --kallsyms "$ks"
measure script sh -c "perf script -i '$data' --kallsyms '$ks' > /dev/null"

printf '%-58s %9s %10s\n' "command" "wall s" "peak MiB"
row() { printf '%-58s %9.2f %10.1f\n' "$1" "${wall[$2]}" "$(awk -v k="${rss[$2]}" 'BEGIN { print k / 1024 }')"; }
row "coroner perf --top 20" coroner
row "perf report --stdio" report
row "perf report --stdio --no-children --sort sym -g none" report_flat
row "perf script > /dev/null" script
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.1f", b / a; else print "inf" }'; }
echo "speed-up vs perf report --stdio:          $(ratio "${wall[coroner]}" "${wall[report]}")x (target >= 10x)"
echo "speed-up vs perf report (flat, same table): $(ratio "${wall[coroner]}" "${wall[report_flat]}")x"
echo "speed-up vs perf script:                  $(ratio "${wall[coroner]}" "${wall[script]}")x"
echo "peak RSS, perf report / coroner:          $(ratio "${rss[coroner]}" "${rss[report]}")x (target >= 2x)"

# Agreement: the same top-20 rows (symbol, samples). perf names assembly
# functions by their ELF symbol with an ".abi0" suffix; the pclntab and Go's
# pprof do not, so the suffix is dropped before comparing.
ours=$("$COR" perf --top 20 --kallsyms "$ks" "$data" 2>/dev/null | awk '!/^#/ { $1 = ""; sub(/^ +/, ""); print }')
theirs=$(perf report -i "$data" --stdio --no-children --sort sym -n -g none --kallsyms "$ks" 2>/dev/null |
  awk '/^ +[0-9.]+%/ && n < 20 { n++; $1 = ""; sub(/^ +/, ""); sub(/\.abi0$/, ""); print }' || true)
if [ "$ours" = "$theirs" ]; then
  echo "top-20 (symbol, samples): identical to perf report"
else
  echo "top-20 (symbol, samples): DIFFERENT from perf report"
  diff <(echo "$theirs") <(echo "$ours") || true
fi
