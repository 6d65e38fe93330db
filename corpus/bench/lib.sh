# Shared by the benchmark scripts; source it after cd-ing to the
# repository root and setting WORK.

# need_tools BENCH TOOL...: exits 1, naming the bench, at the first TOOL
# that is not installed.
need_tools() {
  local bench=$1 tool
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$bench bench: $tool not installed" >&2; exit 1; }
  done
}

# built_coroner BENCH: sets COR to the coroner already built (CORONER,
# default bin/coroner, made absolute) and BENCH_DIR (default
# corpus/out/bench); exits 2, naming BENCH, when coroner is not built or
# GNU time, which measures both sides, is missing.
built_coroner() {
  COR=$(realpath "${CORONER:-bin/coroner}")
  BENCH_DIR=${BENCH_DIR:-$PWD/corpus/out/bench}
  [ -x "$COR" ] || { echo "$1: $COR not built (run make build)" >&2; exit 2; }
  [ -x /usr/bin/time ] || { echo "$1: /usr/bin/time (GNU time) is missing" >&2; exit 2; }
}

# time_wall FILE: prints the wall-clock seconds that /usr/bin/time -v
# wrote to FILE (its "Elapsed (wall clock) time": [h:]m:ss.ss).
time_wall() {
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1"
}

# time_rss FILE: prints the peak RSS in KiB that /usr/bin/time -v wrote to
# FILE.
time_rss() {
  awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"
}

# build_coroner: builds coroner into CORONER_BIN ($WORK/coroner unless
# set), unless CORONER_SKIP_BUILD is set.
build_coroner() {
  CORONER_BIN="${CORONER_BIN:-$WORK/coroner}"
  [ -n "${CORONER_SKIP_BUILD:-}" ] || go build -o "$CORONER_BIN" ./cmd/coroner
}

# go_program DIR MODULE: empties DIR and writes in it a go.mod for MODULE
# and a main.go read from stdin.
go_program() {
  rm -rf "$1" && mkdir -p "$1"
  printf 'module %s\n\ngo 1.22\n' "$2" > "$1/go.mod"
  cat > "$1/main.go"
}

# have_room MEM_GIB DISK_GIB DIR: true when MemAvailable is at least
# MEM_GIB GiB and DIR's file system has DISK_GIB GB free; otherwise false,
# with ROOM_SHORT saying what is short.
have_room() {
  local mem_kib disk_kib
  mem_kib=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
  disk_kib=$(df -Pk "$3" | awk 'NR == 2 {print $4}')
  ROOM_SHORT=""
  [ "${mem_kib:-0}" -ge $(($1 << 20)) ] || ROOM_SHORT="$((${mem_kib:-0} >> 20)) GiB of memory available, $1 GiB needed"
  [ "${disk_kib:-0}" -ge $(($2 * 1000000)) ] || ROOM_SHORT="${ROOM_SHORT:+$ROOM_SHORT; }$((${disk_kib:-0} / 1000000)) GB free in $3, $2 GB needed"
  [ -z "$ROOM_SHORT" ]
}
