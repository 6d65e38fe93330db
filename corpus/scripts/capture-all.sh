#!/usr/bin/env bash
# Captures every corpus scenario with `coroner collect --exec` into
# corpus/out/<scenario>.tar.zst and prints how long each took.
#
# Environment: CORONER (default bin/coroner), OUT (corpus/out), DURATION
# (10s), SEVERITY (severe), SCENARIOS (all), BASE_PORT (17060), and
# COLLECT_FLAGS for extra collect flags (e.g. "--core none --perf off").
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=corpus/scripts/lib.sh
. corpus/scripts/lib.sh
COR=${CORONER:-bin/coroner}
OUT=${OUT:-corpus/out}
DURATION=${DURATION:-10s}
SEVERITY=${SEVERITY:-severe}
port=${BASE_PORT:-17060}
scenarios=${SCENARIOS:-$(scenario_names)}
[ -x "$COR" ] || { echo "capture-all: $COR not built (run make build)" >&2; exit 2; }
mkdir -p "$OUT/bin" "$OUT/run"
OUT=$(cd "$OUT" && pwd)
fail=0
for s in $scenarios; do
  bin="$OUT/bin/$(service_name "$s")"
  go build -o "$bin" "./corpus/scenarios/$s"
  port=$(free_port "$port")
  addr="127.0.0.1:$port"
  port=$((port + 1))
  echo "== $s ($addr)" >&2
  start=$(date +%s%N)
  # The target runs in its own directory so a crash core lands there.
  mkdir -p "$OUT/run/$s"
  core=$(core_method "$s")
  # shellcheck disable=SC2086
  if ! "$COR" collect --exec --core "$core" --pprof "http://$addr" --duration "$DURATION" \
      --dir "$OUT/run/$s" --id "$s" --label scenario="$s" --label severity="$SEVERITY" ${COLLECT_FLAGS:-} \
      -o "$OUT/$s.tar.zst" -- "$bin" -addr "$addr" -severity "$SEVERITY" \
      2> "$OUT/$s.log" >/dev/null </dev/null; then
    echo "capture-all: $s failed, see $OUT/$s.log" >&2
    fail=1
  fi
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  size=$(stat -c %s "$OUT/$s.tar.zst" 2>/dev/null || echo 0)
  printf '%-22s %6d ms %10d bytes\n' "$s" "$ms" "$size"
done
exit $fail
