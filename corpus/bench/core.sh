#!/usr/bin/env bash
# Benchmark: goroutine census of a core with ≥ 100k goroutines.
#   coroner goroutines --json ARCHIVE           (every goroutine, streamed)
#   coroner goroutines --group --json ARCHIVE   (full stacks, grouped)
#   coroner analyze ARCHIVE                     (cold: empty cache)
# against what a user would otherwise run on the same core, in the same run:
#   dlv core BIN CORE  +  goroutines -t          (every stack)
#   dlv core BIN CORE  +  goroutines             (plain list)
#   zstd -d -c ARCHIVE > /dev/null               (one decompression pass)
# Prints wall time and peak RSS of each and the ratios, and whether coroner
# read the core in place (nothing extracted into its cache). The program,
# its gcore snapshot and the archive are generated once under
# $BENCH_DIR/core (for N other than the default, $BENCH_DIR/core-N) and
# reused. N sets the goroutine count (default 100000).
#
# From N=500000 on the snapshot is many GiB (about 11.4 GiB for a million
# goroutines; the program needs as much RAM while it runs): dlv's figures
# are taken once, right after the snapshot, and kept in dlv.figures; the raw
# core is then deleted (KEEP_CORE=1 keeps it) and later runs reuse those
# figures. dlv's goroutines -t is skipped from that size on (DLV_T=1 runs
# it): it takes longer than the plain list by the stacks it loads.
# PREPARE_ONLY=1 generates the inputs and takes dlv's figures, and stops.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
BENCH_DIR="${BENCH_DIR:-$ROOT/corpus/out/bench}"
N="${N:-100000}"
WORK="$BENCH_DIR/core"
[ "$N" = 100000 ] || WORK="$BENCH_DIR/core-$N"
# LARGE: the raw core is too big to keep, and dlv -t too slow to run.
LARGE=$([ "$N" -ge 500000 ] && echo 1 || true)
mkdir -p "$WORK"

. corpus/bench/lib.sh
need_tools core gcore zstd /usr/bin/time
DLV="$(go env GOPATH)/bin/dlv"
if ! "$DLV" version 2>/dev/null | grep -q 'Version: 1.27.2'; then
  (cd "$WORK" && GOFLAGS=-mod=mod go install github.com/go-delve/delve/cmd/dlv@v1.27.2)
fi
build_coroner

generate() {
  rm -rf "$WORK/prog" "$WORK/incident" "$WORK/inc.tar.zst" && mkdir -p "$WORK/prog" "$WORK/incident"
  cat > "$WORK/prog/go.mod" <<'EOF'
module manygoroutines

go 1.22
EOF
  cat > "$WORK/prog/main.go" <<'EOF'
// Program manygoroutines parks N goroutines in several states — channel
// receives at several recursion depths, a mutex, select with a timer,
// sleep — and waits to be snapshotted.
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

func leaf(ch chan int, depth int) {
	if depth > 0 {
		leaf(ch, depth-1)
		return
	}
	<-ch
}

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	var mu sync.Mutex
	mu.Lock()
	ch := make(chan int)
	for i := 0; i < n; i++ {
		switch i % 4 {
		case 0:
			go leaf(ch, i%7)
		case 1:
			go func() { mu.Lock() }()
		case 2:
			go func() {
				select {
				case <-ch:
				case <-time.After(time.Hour):
				}
			}()
		case 3:
			go func() { time.Sleep(time.Hour) }()
		}
	}
	time.Sleep(2 * time.Second)
	fmt.Println("ready")
	time.Sleep(time.Hour)
}
EOF
  (cd "$WORK/prog" && go build -o "$WORK/incident/manygoroutines" .)
  "$WORK/incident/manygoroutines" "$N" > "$WORK/prog/out" &
  local pid=$!
  until grep -q ready "$WORK/prog/out" 2>/dev/null; do sleep 0.5; done
  gcore -o "$WORK/incident/core" "$pid" >/dev/null 2>&1
  kill "$pid"; wait "$pid" 2>/dev/null || true
  mv "$WORK/incident/core.$pid" "$WORK/incident/core"
  "$CORONER_BIN" ingest -q -o "$WORK/inc.tar.zst" "$WORK/incident"
}
measure() { # name, command...; prints "seconds kib"
  local name=$1; shift
  /usr/bin/time -v -o "$WORK/$name.time" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" < /dev/null
  local wall rss
  wall=$(time_wall "$WORK/$name.time")
  rss=$(time_rss "$WORK/$name.time")
  echo "$wall $rss"
}
printf 'goroutines -t\nexit\n' > "$WORK/dlv-t.init"
printf 'goroutines\nexit\n' > "$WORK/dlv.init"
# dlv_figures measures dlv on the raw core into dlv.figures: "name wall kib"
# lines, and the goroutine count dlv reports.
dlv_figures() {
  local f="$WORK/dlv.figures.new" s k
  : > "$f"
  if [ -z "$LARGE" ] || [ -n "${DLV_T:-}" ]; then
    read -r s k < <(measure dlv_t "$DLV" core "$WORK/incident/manygoroutines" "$WORK/incident/core" --allow-non-terminal-interactive=true --init "$WORK/dlv-t.init")
    echo "dlv_t $s $k" >> "$f"
  fi
  read -r s k < <(measure dlv "$DLV" core "$WORK/incident/manygoroutines" "$WORK/incident/core" --allow-non-terminal-interactive=true --init "$WORK/dlv.init")
  echo "dlv $s $k" >> "$f"
  echo "dlv_total $(tail -n 3 "$WORK/dlv.out" | grep -o '\[[0-9]* goroutines\]' | tr -dc 0-9) 0" >> "$f"
  echo "core_bytes $(stat -c %s "$WORK/incident/core") 0" >> "$f"
  mv "$f" "$WORK/dlv.figures"
}
if ! { [ -s "$WORK/inc.tar.zst" ] && [ "$(cat "$WORK/n" 2>/dev/null)" = "$N" ] && { [ -s "$WORK/incident/core" ] || [ -s "$WORK/dlv.figures" ]; }; }; then
  generate
  echo "$N" > "$WORK/n"
  rm -f "$WORK/dlv.figures"
fi
if [ -s "$WORK/incident/core" ]; then
  dlv_figures
  if [ -n "$LARGE" ] && [ -z "${KEEP_CORE:-}" ]; then
    rm -f "$WORK/incident/core"
  fi
else
  echo "core bench: the raw core was deleted after ingest; dlv's figures are those taken right after the snapshot" >&2
fi
# PREPARE_ONLY=1 stops here: the inputs and dlv's figures are ready.
[ -z "${PREPARE_ONLY:-}" ] || exit 0
fig() { awk -v n="$1" -v c="$2" '$1 == n {print $c}' "$WORK/dlv.figures"; }

# cold NAME CMD...: measure CMD with an empty cache, then note whether it
# extracted the core (anything left in the cache's extraction area).
cold() {
  local name=$1; shift
  rm -rf "$WORK/cache"
  measure "$name" "$@"
  if grep -q 'extracted copy' "$WORK/$name.err" 2>/dev/null; then
    echo "core bench: $name extracted the core: $(grep -m1 'extracted copy' "$WORK/$name.err")" >&2
  fi
}
export CORONER_CACHE_DIR="$WORK/cache"
read -r json_s json_k < <(cold coroner_json "$CORONER_BIN" goroutines --json "$WORK/inc.tar.zst")
read -r group_s group_k < <(cold coroner "$CORONER_BIN" goroutines --group --json "$WORK/inc.tar.zst")
read -r an_s an_k < <(cold coroner_analyze "$CORONER_BIN" analyze --format json -o "$WORK/report" "$WORK/inc.tar.zst")
read -r zstd_s zstd_k < <(measure zstd sh -c "zstd -q -d -c '$WORK/inc.tar.zst' > /dev/null")
dlv_s=$(fig dlv 2) dlv_k=$(fig dlv 3)

groups=$(grep -c '"key"' "$WORK/coroner.out" || true)
listed=$(grep -c '^    {$' "$WORK/coroner_json.out" || true)
printf 'core: %s bytes, %s goroutines (dlv: %s, coroner --json lists %s), coroner groups: %s; archive %s bytes\n' \
  "$(fig core_bytes 2)" "$N" "$(fig dlv_total 2)" "$listed" "$groups" "$(stat -c %s "$WORK/inc.tar.zst")"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
mib() { echo "$1/1024" | bc -l; }
printf '%-34s %10s %12s\n' tool wall_s peak_rss_MiB
printf '%-34s %10.2f %12.1f\n' "coroner goroutines --json" "$json_s" "$(mib "$json_k")"
printf '%-34s %10.2f %12.1f\n' "coroner goroutines --group --json" "$group_s" "$(mib "$group_k")"
printf '%-34s %10.2f %12.1f\n' "coroner analyze (cold)" "$an_s" "$(mib "$an_k")"
if [ -n "$(fig dlv_t 2)" ]; then
  printf '%-34s %10.2f %12.1f\n' "dlv core + goroutines -t" "$(fig dlv_t 2)" "$(mib "$(fig dlv_t 3)")"
fi
printf '%-34s %10.2f %12.1f\n' "dlv core + goroutines" "$dlv_s" "$(mib "$dlv_k")"
printf '%-34s %10.2f %12.1f\n' "zstd -d -c >/dev/null" "$zstd_s" "$(mib "$zstd_k")"
if [ -n "$(fig dlv_t 2)" ]; then
  printf 'ratio wall coroner --group/dlv-t: %.3f (target <= 0.100)\n' "$(echo "$group_s/$(fig dlv_t 2)" | bc -l)"
fi
printf 'ratio wall coroner/dlv plain: --json %.3f, --group --json %.3f (target <= 0.100)\n' \
  "$(echo "$json_s/$dlv_s" | bc -l)" "$(echo "$group_s/$dlv_s" | bc -l)"
printf 'ratio wall analyze/zstd -d: %.2fx (target <= 2x)\n' "$(echo "$an_s/$zstd_s" | bc -l)"
printf 'ratio peak RSS coroner/dlv plain: --json %.3f, --group --json %.3f; peak RSS target <= 1024 MiB\n' \
  "$(echo "$json_k/$dlv_k" | bc -l)" "$(echo "$group_k/$dlv_k" | bc -l)"
