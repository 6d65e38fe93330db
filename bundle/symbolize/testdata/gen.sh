#!/usr/bin/env bash
# Regenerates testdata/kallsyms.sample: a real kallsyms excerpt (the first
# 400 lines of this machine's /proc/kallsyms, read as root so addresses are
# shown). The inline test program in testdata/inline is built at test time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
head -n 400 /proc/kallsyms >"$here/kallsyms.sample"
