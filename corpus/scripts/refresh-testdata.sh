#!/usr/bin/env bash
# Re-captures the frozen corpus archives in corpus/testdata/ and rewrites
# corpus/testdata/README.md with the exact commands and Go version used.
# Scenarios that need a core keep their DWARF (a core is read through it);
# the others are built with -ldflags='-s -w' (the pclntab still names every
# Go frame). kallsyms (the host kernel's symbol table, ~1 MiB compressed)
# is left out of all of them so the whole set stays under 20 MiB. The other
# scenarios are proven live by CORONER_LONG=1 go test ./corpus and make corpus.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=corpus/scripts/lib.sh
. corpus/scripts/lib.sh
COR=${CORONER:-bin/coroner}
TD=corpus/testdata
LIMIT=$((20 << 20))
[ -x "$COR" ] || { echo "refresh-testdata: $COR not built (run make build)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=17160

# name | go build flags | collect flags
specs=(
  "crash||--duration 10s --trace-duration 1s --core gcore --kallsyms=false"
  "deadlock||--duration 5s --trace-duration 1s --core gcore --kallsyms=false"
  "healthy|-ldflags=-s -w|--duration 5s --trace-duration 1s --core none --kallsyms=false"
)
cmds=()
for spec in "${specs[@]}"; do
  IFS='|' read -r name bflags cflags <<<"$spec"
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  addr="127.0.0.1:$port"; port=$((port + 1))
  build=(go build -trimpath)
  [ -n "$bflags" ] && build+=("$bflags")
  bin="$work/$(service_name "$name")"
  build+=(-o "$bin" "./corpus/scenarios/$name")
  "${build[@]}"
  mkdir -p "$work/run-$name"
  # shellcheck disable=SC2086
  collect=("$COR" collect --exec --dir "$work/run-$name" --pprof "http://$addr" $cflags
    --id "$name" --label scenario="$name" --label severity=severe -o "$TD/$name.tar.zst"
    -- "$bin" -addr "$addr" -severity severe)
  echo "== ${collect[*]}" >&2
  "${collect[@]}" 2> "$work/$name.log" >/dev/null || { cat "$work/$name.log" >&2; exit 1; }
  cmds+=("${build[*]/$work/\$WORK}" "${collect[*]//$work/\$WORK}")
done
total=$(cat "$TD"/*.tar.zst | wc -c)
if [ "$total" -gt "$LIMIT" ]; then
  echo "refresh-testdata: archives total $total bytes, over the $LIMIT byte budget" >&2
  exit 1
fi
{
  echo "# Frozen corpus archives"
  echo
  echo "Real captures of corpus scenarios made by \`coroner collect --exec\`, for"
  echo "deterministic tests (\`go test ./corpus\` proves each still shows its cause)."
  echo "Regenerate with \`make build && corpus/scripts/refresh-testdata.sh\`."
  echo
  echo "- Go: $(go version)"
  echo "- coroner: $("$COR" --version)"
  echo "- kernel: $(uname -sr), perf: $(perf --version 2>/dev/null || echo none), gdb: $(gdb --version 2>/dev/null | head -1 || echo none)"
  echo "- total size: $total bytes"
  echo
  echo "| archive | bytes |"
  echo "|---|---|"
  for f in "$TD"/*.tar.zst; do echo "| $(basename "$f") | $(stat -c %s "$f") |"; done
  echo
  exact_commands "${cmds[@]}"
} > "$TD/README.md"
echo "refresh-testdata: wrote $(ls "$TD"/*.tar.zst | wc -l) archives, $total bytes" >&2
