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

# go_program DIR MODULE: empties DIR and writes in it a go.mod for MODULE
# and a main.go read from stdin.
go_program() {
  rm -rf "$1" && mkdir -p "$1"
  printf 'module %s\n\ngo 1.22\n' "$2" > "$1/go.mod"
  cat > "$1/main.go"
}
