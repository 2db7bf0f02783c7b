#!/usr/bin/env bash
# Prints the Maelstrom benchmark figures of docs/maelstrom.md:
#  1. broadcast, 25 Python nodes (examples/maelstrom/python/broadcast.py) in
#     deterministic mode, 100 ms latency, 100 requests/s for 20 simulated
#     seconds: wall time and CPU time (dsim and its 25 children);
#  2. the raw pipe transport: line round trips per second through `cat`.
# Usage (from the repository root, after building): examples/maelstrom/bench/bench.sh [BUILD_DIR]
set -eu
BUILD=${1:-build}
# Debian's interpreter when there is one (it starts in half the time of a
# version manager's), else the interpreter itself rather than a shim.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(python3 -c 'import sys; print(sys.executable)')
PIN=()
command -v taskset >/dev/null && PIN=(taskset -c 0)  # one core, as the target says
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
sed "s|command: python3|command: $PY|; s|^checks:|x-log: 1\nchecks:|" examples/maelstrom/bench/maelstrom-broadcast-25.yaml >"$TMP/b25.yaml"
export TMPDIR=$TMP
TIMEFORMAT="broadcast-25 ($PY, ${PIN[*]:-any core}): %R s wall, %U s user + %S s system CPU (dsim and its 25 Python nodes)"
time "${PIN[@]}" "$BUILD/dsim" run "$TMP/b25.yaml" 2>&1 | grep -E "ran |maelstrom \(safety\)"
"${PIN[@]}" "$BUILD/protocols/maelstrom/maelstrom_pipe_bench" 200000
