#!/usr/bin/env bash
# Regenerates the small real perf.data fixtures in this directory: the
# busy program recorded by perf in file and pipe mode, with frame-pointer
# and DWARF call graphs. Run from anywhere as root (or with
# perf_event_paranoid <= 1); needs go and perf.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$here/busy" && go build -o "$work/busy" .)
(cd "$here/neighbour" && go build -o "$work/neighbour" .)
cd "$work"
perf record -q --no-buildid-cache -g -F 99 -o fp.data ./busy 0.2s
perf record -q --no-buildid-cache -o - -F 99 -g ./busy 0.1s >pipe-fp.data
perf record -q --no-buildid-cache -F 49 --call-graph dwarf,512 -o dwarf.data ./busy 0.1s
perf record -q --no-buildid-cache -F 99 -e cpu-clock,task-clock -o two-events.data ./busy 0.1s
# Several processes (a shell, two Go programs: FORK, exec COMM, EXIT) with
# cgroup IDs in the samples and CGROUP records.
perf record -q --no-buildid-cache -F 99 -g --all-cgroups -o multi.data -- sh -c './busy 0.1s & ./neighbour 0.1s; wait'
: >"$here/counts.txt"
for f in fp.data pipe-fp.data dwarf.data two-events.data multi.data; do
	cp "$f" "$here/$f"
	chmod 644 "$here/$f"
	# perf script prints one line per sample with -G (no call graphs).
	echo "$f $(perf script -G -i "$f" 2>/dev/null | wc -l)" >>"$here/counts.txt"
done
ls -l "$here"/*.data
