#!/usr/bin/env bash
# Benchmark: coroner ingest against `tar -cf - DIR | zstd -T0 -3` over the
# same ≥ 2 GiB incident directory (a real core of a Go program with a large
# heap and many goroutines, its executable, and CPU/heap profiles and a
# goroutine dump from net/http/pprof), in the same run. Prints wall time,
# CPU time, peak RSS and compressed size side by side, and the ratios. On a
# shared machine wall times vary with the other load; the CPU-time ratio
# does not.
#
# The incident is generated once under $BENCH_DIR/archive and reused.
# HEAP_MB sets the program's live heap (default 2300, giving a core > 2 GiB).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
BENCH_DIR="${BENCH_DIR:-$ROOT/corpus/out/bench}"
WORK="$BENCH_DIR/archive"
INC="$WORK/incident"
HEAP_MB="${HEAP_MB:-2300}"
mkdir -p "$WORK"

. corpus/bench/lib.sh
need_tools archive zstd curl /usr/bin/time
build_coroner

dir_bytes() { du -sb "$1" | cut -f1; }

generate() {
  rm -rf "$INC" && mkdir -p "$INC"
  go_program "$WORK/prog" bigheap <<'EOF'
// Program bigheap holds a large, realistic heap (records with strings,
// pointers and text payloads) and thousands of parked goroutines, serves
// net/http/pprof, and crashes on /crash so the runtime writes a core.
package main

import (
	"fmt"
	"math/rand"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"strconv"
	"strings"
	"time"
)

type record struct {
	id      int64
	name    string
	tags    []string
	next    *record
	created time.Time
	payload []byte
}

var (
	heap  []*record
	words = strings.Fields("request response timeout deadline connection pool mutex channel buffer " +
		"goroutine scheduler allocation collector sweep mark assist heap stack frame span cache " +
		"central arena bitmap pointer scan root worker idle dedicated fractional trace event")
)

func sentence(r *rand.Rand, n int) []byte {
	var b []byte
	for len(b) < n {
		b = append(b, words[r.Intn(len(words))]...)
		b = append(b, ' ')
		if r.Intn(4) == 0 {
			b = strconv.AppendInt(b, r.Int63n(1<<40), 10)
			b = append(b, ' ')
		}
	}
	return b[:n]
}

func park(ch chan struct{}, depth int) {
	if depth > 0 {
		park(ch, depth-1)
		return
	}
	<-ch
}

func main() {
	mb, _ := strconv.Atoi(os.Getenv("HEAP_MB"))
	r := rand.New(rand.NewSource(1))
	var prev *record
	for total := 0; total < mb<<20; {
		n := 256 + r.Intn(1024)
		rec := &record{id: r.Int63(), name: string(sentence(r, 24)), next: prev,
			created: time.Unix(1700000000+r.Int63n(1e6), 0), payload: sentence(r, n)}
		for range 3 {
			rec.tags = append(rec.tags, words[r.Intn(len(words))])
		}
		heap = append(heap, rec)
		prev = rec
		total += n + 160
	}
	block := make(chan struct{})
	for i := range 20000 {
		go park(block, i%32)
	}
	http.HandleFunc("/crash", func(http.ResponseWriter, *http.Request) {
		go func() { var m map[string]int; m["crash"]++ }()
		time.Sleep(time.Minute)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(ln.Addr())
	http.Serve(ln, nil)
}
EOF
  (cd "$WORK/prog" && go build -o "$INC/bigheap" .)
  mkdir -p "$WORK/run" && rm -f "$WORK/run"/core*
  ulimit -c unlimited
  # GOGC=25 keeps the heap close to its live size, so the core is about
  # HEAP_MB plus stacks rather than twice that.
  (cd "$WORK/run" && HEAP_MB="$HEAP_MB" GOGC=25 GOTRACEBACK=crash exec "$INC/bigheap" > addr 2> stderr.log) &
  local pid=$!
  for _ in $(seq 600); do [ -s "$WORK/run/addr" ] && break; sleep 0.5; done
  local addr; addr="http://$(head -1 "$WORK/run/addr")"
  curl -sf -o "$INC/cpu.pprof" "$addr/debug/pprof/profile?seconds=2"
  curl -sf -o "$INC/heap.pprof" "$addr/debug/pprof/heap"
  curl -sf -o "$INC/goroutines.txt" "$addr/debug/pprof/goroutine?debug=2"
  if grep -q '^|' /proc/sys/kernel/core_pattern; then
    command -v gcore >/dev/null || { echo "archive bench: cores are piped and gcore is missing" >&2; exit 1; }
    gcore -o "$WORK/run/core" "$(pgrep -f "$INC/bigheap" | head -1)" >/dev/null
    kill -9 "$(pgrep -f "$INC/bigheap" | head -1)" || true
  else
    curl -s -m 5 -o /dev/null "$addr/crash" || true
  fi
  wait "$pid" || true
  local core; core=$(ls "$WORK/run"/core* | head -1)
  mv "$core" "$INC/core"
  cp "$WORK/run/stderr.log" "$INC/crash.log"
}

if [ ! -f "$INC/core" ] || [ "$(dir_bytes "$INC")" -lt $((2 << 30)) ]; then
  echo "generating a ≥ 2 GiB incident in $INC (once)..." >&2
  generate
fi
size=$(dir_bytes "$INC")
echo "input: $INC, $((size >> 20)) MiB in $(ls "$INC" | wc -l) files"

measure() { # name, output, command...
  local name=$1 out=$2; shift 2
  rm -f "$out"
  cat "$INC"/* > /dev/null # each run starts from a warm page cache
  /usr/bin/time -v -o "$WORK/$name.time" "$@" >/dev/null
  local wall rss
  wall=$(time_wall "$WORK/$name.time")
  rss=$(time_rss "$WORK/$name.time")
  cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {print s}' "$WORK/$name.time")
  echo "$name $wall $rss $(stat -c %s "$out") $cpu"
}

base=$(measure tar_zstd "$WORK/base.tar.zst" bash -c "tar -cf - -C '$INC' . | zstd -T0 -3 -q -o '$WORK/base.tar.zst'")
ours=$(measure coroner "$WORK/ours.tar.zst" "$CORONER_BIN" ingest -q -o "$WORK/ours.tar.zst" "$INC")
"$CORONER_BIN" verify "$WORK/ours.tar.zst" >/dev/null

read -r _ bw brss bsize bcpu <<<"$base"
read -r _ ow orss osize ocpu <<<"$ours"
awk -v bw="$bw" -v ow="$ow" -v brss="$brss" -v orss="$orss" -v bs="$bsize" -v os="$osize" -v insz="$size" -v bc="$bcpu" -v oc="$ocpu" 'BEGIN {
  printf "%-28s %10s %12s %10s %14s %12s\n", "", "wall (s)", "MiB/s", "CPU (s)", "peak RSS (MiB)", "size (MiB)"
  printf "%-28s %10.2f %12.0f %10.1f %14.0f %12.1f\n", "tar | zstd -T0 -3", bw, insz/1048576/bw, bc, brss/1024, bs/1048576
  printf "%-28s %10.2f %12.0f %10.1f %14.0f %12.1f\n", "coroner ingest", ow, insz/1048576/ow, oc, orss/1024, os/1048576
  printf "throughput ratio (coroner/tar|zstd): %.2f   (target >= 0.90; CPU-time ratio %.2f)\n", bw/ow, bc/oc
  printf "size ratio (coroner/tar|zstd):       %.3f  (target <= 1.10)\n", os/bs
  printf "coroner peak RSS:                    %.0f MiB (target <= 256)\n", orss/1024
}'
