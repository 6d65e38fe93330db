#!/usr/bin/env bash
# Benchmark: full analysis of a large incident —
#   coroner analyze ARCHIVE --format json      (every analyzer, report written)
# against decompressing the same archive once, in the same run:
#   zstd -d -c ARCHIVE > /dev/null
# Prints wall time and peak RSS of each and the ratio (target: analysis
# within 2x the decompression time, peak RSS within 1 GiB).
#
# The incident is generated once under $BENCH_DIR/analyze and reused: a
# program holding a large heap (HEAP_MB, default 2200: a core of more than
# 2 GiB), N parked goroutines (default 100000) queued on a mutex that is
# never released and on channels, and eight workers allocating under one
# contended lock; captured with
# perf record -g at FREQ Hz for PERF_SECONDS (defaults 9999 and 45: more than
# 200k samples with both CPUs busy; the workers hash outside the lock as well,
# so the process keeps two CPUs busy rather than one lock holder at a time), net/http/pprof CPU, heap, allocs, mutex,
# block and goroutine (debug=2) profiles, a 3 s execution trace, its
# gctrace log, and a gcore snapshot; ingested with coroner ingest.
#
# CORE=abort takes the core the way most real cores come instead: the
# program runs under GOTRACEBACK=crash with core dumps enabled, and
# kill -ABRT makes the runtime print every goroutine to its stderr and the
# kernel write the core (kernel.core_pattern must name a file, as "core"
# does). That incident also compares
#   coroner goroutines ARCHIVE                  (cold: empty cache)
# with dlv core BIN CORE + goroutines -t on the raw core, kept beside the
# archive for it (target: coroner 10x faster).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
BENCH_DIR="${BENCH_DIR:-$ROOT/corpus/out/bench}"
WORK="$BENCH_DIR/analyze"
HEAP_MB="${HEAP_MB:-2200}"
N="${N:-100000}"
FREQ="${FREQ:-9999}"
PERF_SECONDS="${PERF_SECONDS:-45}"
CORE="${CORE:-gcore}"
mkdir -p "$WORK"
. corpus/bench/lib.sh
need_tools analyze gcore perf zstd curl /usr/bin/time
build_coroner
ARCHIVE="$WORK/incident-$HEAP_MB-$N.tar.zst"
RAW="$WORK/raw-abort-$HEAP_MB-$N" # the abort core and its binary, for dlv
case "$CORE" in
  gcore) ;;
  abort)
    ARCHIVE="$WORK/incident-$HEAP_MB-$N-abort.tar.zst"
    case "$(cat /proc/sys/kernel/core_pattern)" in
      '|'* | /*) echo "analyze bench: kernel.core_pattern is $(cat /proc/sys/kernel/core_pattern): cores do not land in the working directory" >&2; exit 1 ;;
    esac
    ;;
  *) echo "analyze bench: CORE is gcore or abort, not $CORE" >&2; exit 2 ;;
esac

generate() {
  rm -rf "$WORK/incident" && mkdir -p "$WORK/incident"
  go_program "$WORK/prog" bigincident <<'EOF'
// Program bigincident is a service in trouble at scale: a large live heap,
// a crowd of goroutines queued on one mutex and on channels, and workers
// allocating while holding the mutex. It serves net/http/pprof.
package main

import (
	"crypto/sha256"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"strconv"
	"sync"
)

var (
	heap  [][]byte
	mu    sync.Mutex // contended by the workers
	stuck sync.Mutex // never released: its waiters stay parked
	table = map[int][]byte{}
)

func fill(mb int) {
	for i := 0; i < mb; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = byte(i + j)
		}
		heap = append(heap, b)
	}
}

func work(i int) {
	var h [32]byte
	for {
		for j := 0; j < 200; j++ {
			h = sha256.Sum256(h[:])
		}
		mu.Lock()
		for j := 0; j < 50; j++ {
			h = sha256.Sum256(h[:])
			table[(i+j)%4096] = make([]byte, 256+int(h[0]))
		}
		mu.Unlock()
	}
}

func main() {
	mb, _ := strconv.Atoi(os.Args[2])
	n, _ := strconv.Atoi(os.Args[3])
	runtime.SetMutexProfileFraction(10)
	runtime.SetBlockProfileRate(100000)
	fill(mb)
	ch := make(chan int)
	stuck.Lock()
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			go func() { stuck.Lock() }()
		} else {
			go func() { <-ch }()
		}
	}
	for i := 0; i < 8; i++ {
		go work(i)
	}
	http.ListenAndServe(os.Args[1], nil)
}
EOF
  (cd "$WORK/prog" && go build -o "$WORK/bigincident" .)
  local port=17890
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  local url="http://127.0.0.1:$port"
  # The abort core lands in the program's working directory.
  (cd "$WORK/incident" && ulimit -c unlimited && GOTRACEBACK=crash GODEBUG=gctrace=1 exec "$WORK/bigincident" "127.0.0.1:$port" "$HEAP_MB" "$N" 2> "$WORK/incident/gctrace.log") &
  local pid=$!
  trap 'kill '"$pid"' 2>/dev/null || true' EXIT
  for _ in $(seq 1 600); do curl -sf "$url/debug/pprof/" >/dev/null && break; sleep 0.5; done
  cp "$WORK/bigincident" "$WORK/incident/bigincident"
  perf record -q -g -F "$FREQ" -p "$pid" -o "$WORK/incident/perf.data" -- sleep "$PERF_SECONDS" &
  local perfpid=$!
  curl -sf -o "$WORK/incident/cpu.pprof" "$url/debug/pprof/profile?seconds=$((PERF_SECONDS / 2))"
  curl -sf -o "$WORK/incident/trace.out" "$url/debug/pprof/trace?seconds=3"
  wait "$perfpid"
  perf report -i "$WORK/incident/perf.data" --stats 2>/dev/null |
    awk '/SAMPLE events:/ {for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) {print "perf samples: " $i " (the benchmark incident wants >= 200000: raise PERF_SECONDS on a busy host)"; exit}}' |
    tee "$WORK/perf-samples.txt" || true
  for p in heap allocs mutex block; do curl -sf -o "$WORK/incident/$p.pprof" "$url/debug/pprof/$p"; done
  curl -sf -o "$WORK/incident/goroutines.txt" "$url/debug/pprof/goroutine?debug=2"
  cp /proc/kallsyms "$WORK/incident/kallsyms"
  if [ "$CORE" = abort ]; then
    kill -ABRT "$pid"; wait "$pid" 2>/dev/null || true
    local core
    core=$(ls "$WORK/incident"/core* 2>/dev/null | head -1)
    [ -n "$core" ] || { echo "analyze bench: no core written after kill -ABRT (ulimit -c, core_pattern?)" >&2; exit 1; }
    [ "$core" = "$WORK/incident/core" ] || mv "$core" "$WORK/incident/core"
  else
    gcore -o "$WORK/incident/core" "$pid" >/dev/null
    kill "$pid"; wait "$pid" 2>/dev/null || true
  fi
  trap - EXIT
  "$CORONER_BIN" ingest --id bench-analyze -o "$ARCHIVE" "$WORK/incident" 2>/dev/null
  if [ "$CORE" = abort ]; then
    rm -rf "$RAW" && mkdir -p "$RAW"
    mv "$WORK/incident/core" "$WORK/bigincident" "$RAW/"
  fi
  rm -rf "$WORK/incident"
}
[ -f "$ARCHIVE" ] || generate

# measure LABEL CMD... : runs CMD under /usr/bin/time -v, prints wall s and peak RSS MiB.
measure() {
  local label=$1; shift
  local log="$WORK/$label.time"
  /usr/bin/time -v "$@" 2> "$log" >/dev/null || { echo "analyze bench: $label failed:" >&2; tail -5 "$log" >&2; exit 1; }
  local wall rss
  wall=$(time_wall "$log")
  rss=$(time_rss "$log" | awk '{ printf "%.0f", $1 / 1024 }')
  printf '%-28s wall %8.2f s   peak RSS %6d MiB\n' "$label" "$wall" "$rss"
  eval "${label//-/_}_wall=$wall; ${label//-/_}_rss=$rss"
}

size=$(stat -c %s "$ARCHIVE")
[ -f "$WORK/perf-samples.txt" ] && cat "$WORK/perf-samples.txt"
echo "incident: $ARCHIVE ($((size >> 20)) MiB compressed)"
"$CORONER_BIN" ls "$ARCHIVE" 2>/dev/null | awk '/core|perf-data|goroutine-dump|trace/ {print "  " $0}' | cut -c1-120 || true
export CORONER_CACHE_DIR="$WORK/cache"
rm -rf "$CORONER_CACHE_DIR" "$WORK/report"
measure zstd-decompress sh -c "zstd -q -d -c '$ARCHIVE' > /dev/null"
measure coroner-analyze "$CORONER_BIN" analyze --format json -o "$WORK/report" "$ARCHIVE"
# The same analysis without the core census (read in a worker child from
# the archive's frames), to show where the time goes.
rm -rf "$CORONER_CACHE_DIR"
measure coroner-analyze-no-core "$CORONER_BIN" analyze --skip goroutines,crash,deadlock --format json -o "$WORK/report-nocore" "$ARCHIVE"

# tree_rss CMD...: peak of the summed RSS of CMD and its children (the
# census child runs beside the analysis; /usr/bin/time reports the larger
# of the two, not their sum), sampled every 10 ms.
tree_rss() {
  "$@" >/dev/null 2>&1 &
  local pid=$! peak=0 sum r p
  while kill -0 "$pid" 2>/dev/null; do
    sum=0
    for p in $pid $(pgrep -P "$pid"); do
      r=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
      sum=$((sum + ${r:-0}))
    done
    [ "$sum" -gt "$peak" ] && peak=$sum
    sleep 0.01
  done
  wait "$pid"
  echo $((peak >> 10))
}
rm -rf "$CORONER_CACHE_DIR"
tree=$(tree_rss "$CORONER_BIN" analyze --format json -o "$WORK/report-rss" "$ARCHIVE")
echo "coroner-analyze: peak summed RSS of the process and its census child: $tree MiB (a separate run)"
awk -v a="$coroner_analyze_wall" -v z="$zstd_decompress_wall" -v r="$coroner_analyze_rss" -v t="$tree" -v n="$coroner_analyze_no_core_wall" \
  'BEGIN { printf "ratio analyze/decompress: %.2fx wall (target <= 2x), without the core census %.2fx; analyze peak RSS %d MiB, summed with its child %d MiB (target <= 1024)\n", a / z, n / z, r, t }'
# PAIRS=N repeats the comparison N times, each analysis (cold cache) right
# after a decompression, and prints the median of the paired ratios: on a
# shared machine a single pair can land on a busy second.
if [ "${PAIRS:-0}" -gt 0 ]; then
  ratios=()
  for i in $(seq "$PAIRS"); do
    rm -rf "$CORONER_CACHE_DIR"
    measure zstd-decompress sh -c "zstd -q -d -c '$ARCHIVE' > /dev/null" >/dev/null
    measure coroner-analyze "$CORONER_BIN" analyze --format json -o "$WORK/report" "$ARCHIVE" >/dev/null
    ratios+=("$(awk -v a="$coroner_analyze_wall" -v z="$zstd_decompress_wall" 'BEGIN { printf "%.2f", a / z }')")
    echo "pair $i: zstd -d $zstd_decompress_wall s, analyze $coroner_analyze_wall s ($coroner_analyze_rss MiB): ${ratios[-1]}x"
  done
  printf '%s\n' "${ratios[@]}" | sort -n | awk '{ r[NR] = $1 } END {
    m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
    printf "median of %d paired ratios analyze/decompress: %.2fx (%.2f-%.2fx; target <= 2x)\n", NR, m, r[1], r[NR] }'
fi
python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["verdict"]; print("verdict:", v["cause"], "-", v["headline"])' "$WORK/report/report.json" 2>/dev/null || true

[ "$CORE" = abort ] || exit 0
# The crash core's census: coroner from the archive (cold cache) against
# dlv's full stacks on the raw core.
DLV="$(go env GOPATH)/bin/dlv"
if ! "$DLV" version 2>/dev/null | grep -q 'Version: 1.27.2'; then
  (cd "$WORK" && GOFLAGS=-mod=mod go install github.com/go-delve/delve/cmd/dlv@v1.27.2)
fi
rm -rf "$CORONER_CACHE_DIR"
measure coroner-goroutines "$CORONER_BIN" goroutines "$ARCHIVE"
printf 'goroutines -t\nexit\n' > "$WORK/dlv-t.init"
measure dlv-goroutines-t "$DLV" core "$RAW/bigincident" "$RAW/core" --allow-non-terminal-interactive=true --init "$WORK/dlv-t.init"
"$CORONER_BIN" goroutines "$ARCHIVE" 2>/dev/null | sed -n '1,3p'
awk -v c="$coroner_goroutines_wall" -v d="$dlv_goroutines_t_wall" -v r="$coroner_goroutines_rss" -v dr="$dlv_goroutines_t_rss" \
  'BEGIN { printf "ratio dlv goroutines -t / coroner goroutines: %.1fx faster (target >= 10x); peak RSS %d MiB vs %d MiB\n", d / c, r, dr }'
