#!/usr/bin/env bash
# Re-captures the frozen foreign archives in corpus/testdata/foreign/ with
# capture-foreign.sh and rewrites its README.md with the exact commands and
# versions. They stay small (each under 5 MiB) so go test ./corpus/...
# exercises the foreign path: stripped binaries and no core.
#   crash   the binary and the CRI log holding the runtime's crash output,
#           nothing else (what a crash ticket often carries);
#   healthy everything but the core over a 5 s window, with a plain service
#           log, so a healthy incident captured with the plain tools must
#           stay healthy.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=corpus/scripts/lib.sh
. corpus/scripts/lib.sh
COR=${CORONER:-bin/coroner}
TD=corpus/testdata/foreign
LIMIT=$((5 << 20))
[ -x "$COR" ] || { echo "refresh-foreign-testdata: $COR not built (run make build)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name | environment for capture-foreign.sh
specs=(
  "crash|STRIP=1 SKIP='profiles dump trace perf core' LOG_FORMAT=cri DURATION=6"
  "healthy|STRIP=1 SKIP='core' LOG_FORMAT=plain DURATION=5"
)
mkdir -p "$TD"
cmds=()
for spec in "${specs[@]}"; do
  IFS='|' read -r name env <<<"$spec"
  cmd="$env SCENARIOS=$name BASE_PORT=17560 OUT=\$WORK corpus/scripts/capture-foreign.sh"
  echo "== $cmd" >&2
  eval "$env SCENARIOS=$name BASE_PORT=17560 OUT=$work CORONER=$COR corpus/scripts/capture-foreign.sh" >&2
  size=$(stat -c %s "$work/$name.tar.zst")
  if [ "$size" -gt "$LIMIT" ]; then
    echo "refresh-foreign-testdata: $name.tar.zst is $size bytes, over the $LIMIT byte limit" >&2
    exit 1
  fi
  cp "$work/$name.tar.zst" "$TD/$name.tar.zst"
  cmds+=("$cmd")
done
{
  echo "# Frozen foreign archives"
  echo
  echo "Captures of corpus scenarios made with the plain tools (curl, perf, a"
  echo "container log) and packed by \`coroner ingest\`, as they reach a ticket:"
  echo "the foreign column of \`make eval\`, exercised by \`go test ./corpus/eval\`."
  echo "Regenerate with \`make build && corpus/scripts/refresh-foreign-testdata.sh\`."
  echo "Their verdicts are pinned in \`corpus/eval/testdata/golden/foreign/\` as they"
  echo "are, right or wrong (\`make eval\` says which); when analyzers change one,"
  echo "check it and run \`go test ./corpus/eval -run TestGoldenVerdicts -update\`."
  echo
  echo "- Go: $(go version)"
  echo "- coroner: $("$COR" --version)"
  echo "- kernel: $(uname -sr), perf: $(perf --version 2>/dev/null || echo none)"
  echo
  echo "| archive | bytes | holds |"
  echo "|---|---|---|"
  for spec in "${specs[@]}"; do
    name=${spec%%|*}
    holds=$("$COR" ls --json "$TD/$name.tar.zst" | jq -r '[.artifacts[].kind] | unique | join(", ")')
    echo "| $name.tar.zst | $(stat -c %s "$TD/$name.tar.zst") | $holds |"
  done
  echo
  exact_commands "${cmds[@]}"
} >"$TD/README.md"
cat "$TD/README.md"
