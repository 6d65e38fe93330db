# Shared by the corpus scripts; source it.

# service_name prints the name a scenario's binary is built under: the
# service it plays, so nothing an analyzer sees in a capture (executable
# name, core attributes) names the root cause.
service_name() {
  case "$1" in
    gc_stw) echo catalog ;;
    netpoll_spin) echo upstream-pool ;;
    syncpool_contention) echo logship ;;
    lock_wait) echo sessions ;;
    crash) echo orders ;;
    deadlock) echo inventory ;;
    healthy) echo quotes ;;
    *) echo "$1" ;;
  esac
}
