#!/usr/bin/env bash
# Shard a sweep over local processes with GNU parallel, then merge.
#
#   scripts/parallel-sweep.sh SHARDS OUTDIR -- <dsim sweep arguments without --shard/--results>
#   e.g. scripts/parallel-sweep.sh 4 out -- scenarios/regression/raft-churn.yaml --seeds 1..10000 -j 1
#
# Each shard I of N runs `dsim sweep ... --shard I/N --results OUTDIR/shard-I.jsonl`
# (resumable: re-running the script resumes every shard); then
# `dsim merge` writes OUTDIR/junit.xml and prints one summary. Exit code as
# `dsim merge`. DSIM overrides the dsim binary (default: build/dsim).
set -euo pipefail
[ $# -ge 3 ] && [ "$3" = "--" ] || { echo "usage: $0 SHARDS OUTDIR -- SWEEP-ARGS..." >&2; exit 2; }
shards=$1
out=$2
shift 3
dsim=${DSIM:-build/dsim}
mkdir -p "$out"
# Each shard's own messages go to OUTDIR/shard-I.log; merge prints the summary.
args=$(printf '%q ' "$@")
qdsim=$(printf '%q' "$dsim")
qout=$(printf '%q' "$out")
seq 0 $((shards - 1)) | parallel --will-cite --halt never \
  "$qdsim sweep $args --quiet --shard {}/$shards --results $qout/shard-{}.jsonl --resume 2>$qout/shard-{}.log" || true
files=()
for i in $(seq 0 $((shards - 1))); do files+=("$out/shard-$i.jsonl"); done
exec "$dsim" merge "${files[@]}" --junit "$out/junit.xml"
