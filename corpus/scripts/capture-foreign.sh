#!/usr/bin/env bash
# Captures every corpus scenario the way a team without coroner would, and
# ingests what it got into corpus/out/foreign/<scenario>.tar.zst: the
# "foreign" column of make eval, beside capture-all.sh's `coroner collect`.
#
# Each service is built with go build and started as in production:
# GODEBUG=gctrace=1 GOTRACEBACK=crash, core dumps unlimited, in its own
# directory, its stderr written through a container log format. While it
# misbehaves, for DURATION seconds:
#   - curl /debug/pprof/profile?seconds=DURATION and, over the last
#     3 seconds, /debug/pprof/trace?seconds=3; afterwards heap, allocs,
#     mutex, block and goroutine?debug=2. An endpoint that does not answer
#     (a sick or crashed process) is noted and skipped;
#   - perf record -a -g over the whole host, with a CPU-burning neighbour
#     (sha256sum /dev/zero pinned to the last CPU), so the recording holds
#     other processes' samples;
# then the core: kill -ABRT of the running service (the runtime's crash
# output goes to the log, the kernel writes the core), or gcore for a
# process that must stay up (deadlock), or the core a crashing service
# wrote itself. A core_pattern that pipes to a handler or names another
# place is followed where it can be; otherwise the core is reported as not
# found and the capture goes on without it.
#
# The service's stderr reaches the incident as one of three logs, chosen by
# the scenario's position in the sorted list of every scenario directory
# (0-based index mod 3): 0 a containerd CRI log (<svc>-0.log), 1 a Docker
# json-file log (<svc>-json.log), 2 a plain service log with JSON
# application lines interleaved (<svc>.log); containerlog/ writes them.
# Adding a scenario may move the later ones to another format;
# LOG_FORMAT=cri|json-file|plain forces one for all.
#
# The incident directory (binary, core, perf.data, profiles, trace, log) is
# then packed with `coroner ingest --label scenario=<name> --label
# severity=<severity>`: no capture manifest, nothing but the files.
#
# Environment: CORONER (default bin/coroner), OUT (corpus/out/foreign),
# DURATION (10, seconds), SEVERITY (severe), SCENARIOS (all), BASE_PORT
# (17460), LOG_FORMAT (by position), KEEP_RUN=1 keeps each scenario's
# working directory (core and all) under OUT/run, STRIP=1 builds with
# -trimpath -ldflags='-s -w', and SKIP leaves steps out (any of profiles,
# dump, trace, perf, core), e.g. for the small frozen archives
# refresh-foreign-testdata.sh makes.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=corpus/scripts/lib.sh
. corpus/scripts/lib.sh
COR=${CORONER:-bin/coroner}
OUT=${OUT:-corpus/out/foreign}
DURATION=${DURATION:-10}
SEVERITY=${SEVERITY:-severe}
port=${BASE_PORT:-17460}
TRACE_SECONDS=3
all=$(scenario_names)
scenarios=${SCENARIOS:-$all}
formats=(cri json-file plain)
SKIP=" ${SKIP:-} "
for w in $SKIP; do
  case $w in profiles | dump | trace | perf | core) ;; *) echo "capture-foreign: SKIP: unknown step $w" >&2; exit 2 ;; esac
done

# wanted reports whether step $1 is not in SKIP.
wanted() { [[ $SKIP != *" $1 "* ]]; }

die() { echo "capture-foreign: $*" >&2; exit 2; }
[ -x "$COR" ] || die "$COR not built (run make build)"
[[ $DURATION =~ ^[0-9]+$ ]] && [ "$DURATION" -gt "$TRACE_SECONDS" ] ||
  die "DURATION=$DURATION: want whole seconds, more than $TRACE_SECONDS"
case ${LOG_FORMAT:-cri} in cri | json-file | plain) ;; *) die "LOG_FORMAT=$LOG_FORMAT: want cri, json-file or plain" ;; esac
missing=$(need_tools curl:curl perf:linux-perf gdb:gdb gcore:gdb taskset:util-linux)
case " $missing " in *" curl "*) die "curl is missing and could not be installed" ;; esac
[ -n "$missing" ] && echo "capture-foreign: without $missing; those steps are skipped" >&2
mkdir -p "$OUT/run"
OUT=$(cd "$OUT" && pwd)
COR=$(cd "$(dirname "$COR")" && pwd)/$(basename "$COR")
tools="$OUT/run/containerlog"
trap 'rm -f "$tools"' EXIT
trap 'exit 130' INT TERM
timeout 300 go build -o "$tools" ./corpus/scripts/containerlog || die "building containerlog failed"

# log_format prints the log format of scenario $1 (see the header).
log_format() {
  if [ -n "${LOG_FORMAT:-}" ]; then echo "$LOG_FORMAT"; return; fi
  local i=0 n
  for n in $all; do
    [ "$n" = "$1" ] && { echo "${formats[i % 3]}"; return; }
    i=$((i + 1))
  done
  echo "${formats[0]}"
}

# log_name prints the file name a format's log has where it is collected.
log_name() {
  case "$2" in
    cri) echo "$1-0.log" ;;
    json-file) echo "$1-json.log" ;;
    *) echo "$1.log" ;;
  esac
}

# --- per-scenario state; each scenario runs in a subshell with its own trap.
pids=()   # background processes this capture started, killed on exit

say() { echo "  $(date -u +%T) $*" >&2; }

# started records a background process for the cleanup.
started() { pids+=("$1"); }

# forget drops a process that has ended from the cleanup's list.
forget() {
  local p keep=()
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=("${keep[@]+"${keep[@]}"}")
}

# reap waits for a background process and forgets it; it returns the
# process's exit status.
reap() {
  local rc=0
  wait "$1" || rc=$?
  forget "$1"
  return $rc
}

# cleanup stops every process still running: TERM (timeout passes it on to
# its command), then KILL whatever is left a few seconds later.
cleanup() {
  local p i alive
  [ ${#pids[@]} -eq 0 ] && return 0
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for i in $(seq 50); do
    alive=0
    for p in "${pids[@]}"; do running "$p" && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  pids=()
}

# running reports whether pid $1 exists and is not a zombie.
running() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# wait_gone waits up to $2 seconds for pid $1 to end.
wait_gone() {
  local i
  for i in $(seq $(($2 * 10))); do running "$1" || return 0; sleep 0.1; done
  ! running "$1"
}

# fetch GETs $2 into $1 within $3 seconds; an endpoint that does not answer
# leaves no file and says so.
fetch() {
  local dst=$1 url=$2 secs=$3 err
  if err=$(curl -sS --fail --max-time "$secs" -o "$dst" "$url" 2>&1); then
    return 0
  fi
  rm -f "$dst"
  say "no answer from ${url#http://*/}: ${err:-curl failed}"
  return 1
}

# find_core prints the core pid $1 (command $2, working directory $3) left
# since file $4 was made, following kernel.core_pattern, or says why there
# is none and fails.
find_core() {
  local pid=$1 comm=${2:0:15} cwd=$3 since=$4 pattern uses glob c newest=""
  pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null || echo core)
  uses=$(cat /proc/sys/kernel/core_uses_pid 2>/dev/null || echo 0)
  if [[ $pattern == '|'* ]]; then
    say "core not found: kernel.core_pattern pipes cores to ${pattern#|}"
    return 1
  fi
  glob=${pattern:-core}
  glob=${glob//%%/@PCT@}
  glob=${glob//%p/$pid}; glob=${glob//%P/$pid}; glob=${glob//%i/$pid}; glob=${glob//%I/$pid}
  glob=${glob//%e/$comm}
  glob=$(sed 's/%./*/g' <<<"$glob")
  glob=${glob//@PCT@/%}
  [[ $pattern == *%[pPiI]* ]] || [ "$uses" != 1 ] || glob="$glob.$pid"
  [[ $glob == /* ]] || glob="$cwd/$glob"
  for c in $glob; do
    [ -f "$c" ] && [ "$c" -nt "$since" ] || continue
    [ -z "$newest" ] || [ "$c" -nt "$newest" ] && newest=$c
  done
  if [ -z "$newest" ]; then
    say "core not found: nothing matches $glob (kernel.core_pattern '$pattern')"
    return 1
  fi
  echo "$newest"
}

# capture_one captures scenario $1, serving on address $2, into
# $OUT/$1.tar.zst.
capture_one() {
  local s=$1 addr=$2 svc fmt run inc proc log pid fmtpid perfpid cpupid method core="" status
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  svc=$(service_name "$s")
  fmt=$(log_format "$s")
  log=$(log_name "$svc" "$fmt")
  run="$OUT/run/$s"
  inc="$run/incident"
  proc="$run/proc"
  rm -rf "$run" "$OUT/$s.tar.zst"
  mkdir -p "$inc" "$proc"
  if [ "${STRIP:-0}" = 1 ]; then
    timeout 300 go build -trimpath -ldflags='-s -w' -o "$inc/$svc" "./corpus/scenarios/$s"
  else
    timeout 300 go build -o "$inc/$svc" "./corpus/scenarios/$s"
  fi
  touch "$run/started"
  echo "== $s ($svc on $addr, $fmt log)" >&2

  # The log collector reads the service's stderr from a pipe, as a
  # container runtime does, and keeps a verbatim copy outside the incident.
  mkfifo "$run/stderr.pipe"
  "$tools" -format "$fmt" -service "$svc" -o "$inc/$log" -raw "$run/stderr.txt" <"$run/stderr.pipe" &
  fmtpid=$!
  started $fmtpid
  (
    cd "$proc"
    ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -H -c)"
    GODEBUG=gctrace=1 GOTRACEBACK=crash exec "$inc/$svc" -addr "$addr" -severity "$SEVERITY"
  ) >"$run/stdout.txt" 2>"$run/stderr.pipe" </dev/null &
  pid=$!
  started $pid
  # Out of the job table, the service's death by SIGABRT passes without
  # bash's own "Aborted (core dumped)" notice; the log has the runtime's.
  disown $pid
  local i ready=0
  for i in $(seq 200); do
    running $pid || break
    curl -sf --max-time 1 -o /dev/null "http://$addr/debug/pprof/cmdline" && { ready=1; break; }
    sleep 0.1
  done
  [ $ready = 1 ] || say "service did not answer on $addr within 20 s; capturing what there is"

  # The window: host-wide perf with a noisy neighbour, the CPU profile,
  # and the trace over its last seconds.
  perfpid="" cpupid=""
  if wanted perf && command -v perf >/dev/null 2>&1; then
    if command -v taskset >/dev/null 2>&1; then
      timeout $((DURATION + 60)) taskset -c $(($(nproc) - 1)) sha256sum /dev/zero >/dev/null &
    else
      timeout $((DURATION + 60)) sha256sum /dev/zero >/dev/null &
    fi
    cpupid=$!
    started $cpupid
    (cd "$inc" && exec timeout -s INT -k 60 "$DURATION" perf record -a -g -o perf.data) >"$run/perf.txt" 2>&1 &
    perfpid=$!
    started $perfpid
  fi
  local profpid="" tracepid=""
  if wanted profiles; then
    fetch "$inc/cpu.pprof" "http://$addr/debug/pprof/profile?seconds=$DURATION" $((DURATION + 20)) &
    profpid=$!
    started $profpid
  fi
  sleep $((DURATION - TRACE_SECONDS))
  if ! wanted trace; then
    :
  elif running $pid; then
    # A spinning scheduler's trace can take minutes to stream out on a
    # loaded machine.
    fetch "$inc/trace.out" "http://$addr/debug/pprof/trace?seconds=$TRACE_SECONDS" $((TRACE_SECONDS + 180)) &
    tracepid=$!
    started $tracepid
  else
    say "service gone before the trace"
  fi
  sleep "$TRACE_SECONDS"
  [ -z "$profpid" ] || reap $profpid || true
  [ -z "$tracepid" ] || reap $tracepid || true
  if [ -n "$perfpid" ]; then
    # timeout's INT makes perf write the file out; 124 is that timeout.
    reap $perfpid || { status=$?; [ $status = 124 ] || say "perf record exited $status: $(tail -n 2 "$run/perf.txt" | tr '\n' ' ')"; }
    [ -s "$inc/perf.data" ] || { rm -f "$inc/perf.data"; say "perf wrote no data"; }
  fi
  if [ -n "$cpupid" ]; then
    kill -TERM $cpupid 2>/dev/null || true
    reap $cpupid || true
  fi

  # After the window: the snapshot profiles and the goroutine dump.
  local ep
  if wanted profiles; then
    for ep in heap allocs mutex block; do
      fetch "$inc/$ep.pprof" "http://$addr/debug/pprof/$ep" 20 || true
    done
  fi
  if wanted dump; then
    fetch "$inc/goroutines.txt" "http://$addr/debug/pprof/goroutine?debug=2" 30 || true
  fi

  # The core.
  method=$(core_method "$s")
  if ! wanted core; then
    running $pid && kill -TERM $pid 2>/dev/null
    wait_gone $pid 10 || kill -KILL $pid 2>/dev/null || true
  elif ! running $pid; then
    say "service had already exited; looking for the core it left"
    core=$(find_core $pid "$svc" "$proc" "$run/started") || core=""
  elif [ "$method" = gcore ] && command -v gcore >/dev/null 2>&1; then
    if timeout 300 gcore -o "$inc/core" $pid >"$run/gcore.txt" 2>&1; then
      core="$inc/core.$pid"
    else
      say "gcore failed: $(tail -n 2 "$run/gcore.txt" | tr '\n' ' ')"
    fi
    kill -TERM $pid 2>/dev/null || true
    wait_gone $pid 10 || kill -KILL $pid 2>/dev/null || true
  else
    [ "$method" = gcore ] && say "gcore is missing; aborting the process instead"
    kill -ABRT $pid
    wait_gone $pid 120 || { say "still running 120 s after SIGABRT; killing it"; kill -KILL $pid 2>/dev/null || true; }
    core=$(find_core $pid "$svc" "$proc" "$run/started") || core=""
  fi
  if [ -n "$core" ] && [ "$core" != "$inc/$(basename "$core")" ]; then
    mv "$core" "$inc/core.$pid"
    core="$inc/core.$pid"
  fi
  # gcore writes every zero page out; the kernel leaves holes. Punch them
  # so a core costs its non-zero pages on disk.
  [ -z "$core" ] || timeout 300 fallocate --dig-holes "$core" 2>/dev/null || true
  running $pid || forget $pid
  # The service is gone, so the log collector reaches the pipe's end.
  wait_gone $fmtpid 30 || say "log collector did not finish within 30 s"
  reap $fmtpid || die "writing the $fmt log failed"

  local apparent actual
  apparent=$(du -sb --apparent-size "$inc" | cut -f1)
  actual=$(du -s --block-size=1 "$inc" | cut -f1)
  say "incident: $(cd "$inc" && ls | tr '\n' ' ')"
  say "incident size $apparent bytes ($actual on disk)"
  timeout 900 "$COR" ingest -q --label scenario="$s" --label severity="$SEVERITY" \
    -o "$OUT/$s.tar.zst" "$inc" >/dev/null || die "coroner ingest of $inc failed"
  [ "${KEEP_RUN:-0}" = 1 ] || rm -rf "$run"
}

fail=0
printf '%-22s %-9s %8s %14s %12s\n' scenario log ms incident-bytes archive-bytes
for s in $scenarios; do
  [ -d "corpus/scenarios/$s" ] || { echo "capture-foreign: no scenario $s" >&2; fail=1; continue; }
  start=$(date +%s%N)
  port=$(free_port "$port")
  addr="127.0.0.1:$port"
  port=$((port + 1))
  set +e
  (set -e; capture_one "$s" "$addr") 2>&1 >/dev/null | tee "$OUT/$s.log" >&2
  rc=$?
  set -e
  [ $rc != 130 ] || exit 130
  if [ $rc != 0 ]; then
    echo "capture-foreign: $s failed (exit $rc), see $OUT/$s.log" >&2
    fail=1
  fi
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  size=$(stat -c %s "$OUT/$s.tar.zst" 2>/dev/null || echo 0)
  inc=$(grep -o 'incident size [0-9]*' "$OUT/$s.log" | grep -o '[0-9]*$' || echo 0)
  printf '%-22s %-9s %8d %14s %12d\n' "$s" "$(log_format "$s")" "$ms" "$inc" "$size"
done
exit $fail
