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

# build_coroner: builds coroner into CORONER_BIN ($WORK/coroner unless
# set), unless CORONER_SKIP_BUILD is set.
build_coroner() {
  CORONER_BIN="${CORONER_BIN:-$WORK/coroner}"
  [ -n "${CORONER_SKIP_BUILD:-}" ] || go build -o "$CORONER_BIN" ./cmd/coroner
}
