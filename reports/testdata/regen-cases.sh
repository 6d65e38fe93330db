#!/usr/bin/env bash
# Makes golden cases from incident archives through the real pipeline:
# each ARCHIVE is analyzed with `coroner report --format json` into
# reports/testdata/cases/<archive name>/result.json, with the checkout's
# directory stripped from source paths and the capture's temporary
# directories replaced by $WORK, so a case does not depend on where it was
# built or captured. Review the verdicts, then write the goldens:
#
#	reports/testdata/regen-cases.sh corpus/testdata/*.tar.zst
#	go test ./reports -update
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 ARCHIVE..." >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && go build -o "$tmp/coroner" ./cmd/coroner)
for a in "$@"; do
  name=$(basename "$a")
  name=${name%%.*}
  "$tmp/coroner" report "$a" --format json -o "$tmp/$name"
  mkdir -p "$root/reports/testdata/cases/$name"
  sed -e "s#$root/##g" -e "s#${TMPDIR:-/tmp}/[^\" ,:\\]*/#\$WORK/#g" "$tmp/$name/report.json" \
    > "$root/reports/testdata/cases/$name/result.json"
done
