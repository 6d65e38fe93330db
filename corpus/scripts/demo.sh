#!/usr/bin/env bash
# make demo: build coroner, capture a bundled scenario live with
# `coroner collect --exec`, list what the archive holds, analyze it, write
# the Markdown, HTML and JSON reports, and print the verdict and their paths.
#
# Environment: CORONER (default bin/coroner), SCENARIO (lock_wait),
# DURATION (5s), DEMO_DIR (a fresh temporary directory).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=corpus/scripts/lib.sh
. corpus/scripts/lib.sh
COR=${CORONER:-bin/coroner}
SCENARIO=${SCENARIO:-lock_wait}
DURATION=${DURATION:-5s}
[ -x "$COR" ] || go build -o "$COR" ./cmd/coroner
dir=${DEMO_DIR:-$(mktemp -d)}
mkdir -p "$dir/run"
bin="$dir/$(service_name "$SCENARIO")"
go build -trimpath -o "$bin" "./corpus/scenarios/$SCENARIO"
port=17260
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
addr="127.0.0.1:$port"
archive="$dir/$SCENARIO.tar.zst"
echo "== coroner collect: $SCENARIO for $DURATION" >&2
"$COR" collect --exec --dir "$dir/run" --pprof "http://$addr" --duration "$DURATION" \
  --core gcore --label scenario="$SCENARIO" -o "$archive" \
  -- "$bin" -addr "$addr" -severity severe >/dev/null
echo "== coroner ls $archive" >&2
"$COR" ls "$archive"
echo "== coroner analyze $archive" >&2
reports="$dir/report"
# Exit 1 only says a finding reached --fail-on; the demo shows it either way.
"$COR" analyze --format text,md,html,json -o "$reports" "$archive" || [ $? -eq 1 ]
echo "== archive: $archive" >&2
echo "== reports: $reports/report.md $reports/report.html $reports/report.json" >&2
