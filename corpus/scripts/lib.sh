# Shared by the corpus scripts; source it.

# service_name prints the name a scenario's binary is built under: the
# service it plays, so nothing an analyzer sees in a capture (executable
# name, core attributes) names the root cause.
service_name() {
  case "$1" in
    gc_stw) echo catalog ;;
    gc_forced) echo reports ;;
    netpoll_spin) echo upstream-pool ;;
    syncpool_contention) echo logship ;;
    lock_wait) echo sessions ;;
    crash) echo orders ;;
    deadlock) echo inventory ;;
    healthy) echo quotes ;;
    healthy_tcp) echo counters ;;
    healthy_batch) echo rollup ;;
    healthy_idle) echo notifier ;;
    *) echo "$1" ;;
  esac
}

# scenario_names prints every scenario directory under corpus/scenarios
# (run from the module root), sorted, one a line.
scenario_names() {
  (cd corpus/scenarios && ls -d -- */ | tr -d / | grep -vx internal | LC_ALL=C sort)
}

# free_port prints the first port from $1 on that nothing on 127.0.0.1
# answers.
free_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

# core_method prints how a scenario's core is taken at the end of a
# capture: abort (SIGABRT to a GOTRACEBACK=crash process, the kernel
# writes the core; fast, sparse) for a process that ends with the capture
# anyway, gcore for deadlock, whose process must stay up to show it.
core_method() {
  case "$1" in
    deadlock) echo gcore ;;
    *) echo abort ;;
  esac
}

# need_tools installs, with apt-get and only when missing, the Debian
# packages that provide the commands named as COMMAND:PACKAGE arguments,
# and prints the commands still missing afterwards (nothing when all are
# there).
need_tools() {
  local spec cmd pkg need=() missing=()
  for spec in "$@"; do
    cmd=${spec%%:*} pkg=${spec#*:}
    command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
  done
  if [ ${#need[@]} -gt 0 ]; then
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    echo "installing: ${need[*]}" >&2
    $sudo timeout 300 apt-get update -qq >&2 || true
    DEBIAN_FRONTEND=noninteractive $sudo timeout 600 apt-get install -y -qq "${need[@]}" >&2 ||
      echo "warning: could not install ${need[*]}" >&2
  fi
  for spec in "$@"; do
    cmd=${spec%%:*}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
  done
  echo "${missing[*]}"
}

# exact_commands CMD...: prints the section of a frozen archives' README
# that lists the commands which made them, in a shell fence.
exact_commands() {
  echo "Exact commands (\$WORK is a temporary directory):"
  echo
  echo '```sh'
  printf '%s\n' "$@"
  echo '```'
}
