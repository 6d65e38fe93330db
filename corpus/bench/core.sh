#!/usr/bin/env bash
# Benchmark: goroutine census of a core with ≥ 100k goroutines.
#   coroner goroutines --group --json ARCHIVE   (full stacks, grouped)
# against what a user would otherwise run on the same core, in the same run:
#   dlv core BIN CORE  +  goroutines -t          (every stack)
#   dlv core BIN CORE  +  goroutines             (plain list)
# Prints wall time and peak RSS of each and the ratios. The program, its
# gcore snapshot and the archive are generated once under $BENCH_DIR/core
# and reused. N sets the goroutine count (default 100000).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
BENCH_DIR="${BENCH_DIR:-$ROOT/corpus/out/bench}"
WORK="$BENCH_DIR/core"
N="${N:-100000}"
mkdir -p "$WORK"

. corpus/bench/lib.sh
need_tools core gcore /usr/bin/time
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
[ -s "$WORK/inc.tar.zst" ] && [ -s "$WORK/incident/core" ] && [ "$(cat "$WORK/n" 2>/dev/null)" = "$N" ] || { generate; echo "$N" > "$WORK/n"; }

export CORONER_CACHE_DIR="$WORK/cache"
# Warm-up: extract the core to the cache once (as any second run finds it).
"$CORONER_BIN" goroutines --group "$WORK/inc.tar.zst" > /dev/null

measure() { # name, command...; prints "seconds kib"
  local name=$1; shift
  /usr/bin/time -v -o "$WORK/$name.time" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" < /dev/null
  local wall rss
  wall=$(awk -F': ' '/Elapsed/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/$name.time")
  rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$WORK/$name.time")
  echo "$wall $rss"
}
printf 'goroutines -t\nexit\n' > "$WORK/dlv-t.init"
printf 'goroutines\nexit\n' > "$WORK/dlv.init"
read -r ours_s ours_k < <(measure coroner "$CORONER_BIN" goroutines --group --json "$WORK/inc.tar.zst")
read -r dlvt_s dlvt_k < <(measure dlv_t "$DLV" core "$WORK/incident/manygoroutines" "$WORK/incident/core" --allow-non-terminal-interactive=true --init "$WORK/dlv-t.init")
read -r dlv_s dlv_k < <(measure dlv "$DLV" core "$WORK/incident/manygoroutines" "$WORK/incident/core" --allow-non-terminal-interactive=true --init "$WORK/dlv.init")

groups=$(grep -c '"key"' "$WORK/coroner.out" || true)
total=$(tail -n 3 "$WORK/dlv.out" | grep -o '\[[0-9]* goroutines\]' || true)
printf 'core: %s bytes, %s goroutines (dlv: %s), coroner groups: %s\n' "$(stat -c %s "$WORK/incident/core")" "$N" "$total" "$groups"
printf '%-34s %10s %12s\n' tool wall_s peak_rss_MiB
printf '%-34s %10.2f %12.1f\n' "coroner goroutines --group --json" "$ours_s" "$(echo "$ours_k/1024" | bc -l)"
printf '%-34s %10.2f %12.1f\n' "dlv core + goroutines -t" "$dlvt_s" "$(echo "$dlvt_k/1024" | bc -l)"
printf '%-34s %10.2f %12.1f\n' "dlv core + goroutines" "$dlv_s" "$(echo "$dlv_k/1024" | bc -l)"
printf 'ratio wall coroner/dlv-t: %.3f (target <= 0.100)   coroner/dlv plain: %.3f (target < 1)\n' \
  "$(echo "$ours_s/$dlvt_s" | bc -l)" "$(echo "$ours_s/$dlv_s" | bc -l)"
printf 'ratio peak RSS coroner/dlv-t: %.3f   coroner/dlv plain: %.3f\n' \
  "$(echo "$ours_k/$dlvt_k" | bc -l)" "$(echo "$ours_k/$dlv_k" | bc -l)"
