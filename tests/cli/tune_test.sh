#!/usr/bin/env bash
# `dsim tune` end to end: --set grids (values with commas in brackets), a
# grid file with linked axes, invalid points rejected before anything runs
# (exit 3, naming the key and the value), a grid sweep killed with SIGKILL
# and resumed gives the same CSV as an uninterrupted one, sharding,
# determinism, the metric list, and the measured metrics themselves (a
# quorum that overlaps reads no stale value; one that does not does).
# Usage: tune_test.sh PATH/TO/dsim SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh"

RAFT=scenarios/tuning/raft-election-timeouts.yaml
DYN=scenarios/tuning/dynamo-quorums.yaml
csv_rows() { tail -n +2 "$1" | wc -l; }
# The CSV cell of (point, metric, column name).
cell() {
  python3 - "$@" <<'PY'
import csv, sys
path, point, metric, col = sys.argv[1:5]
for row in csv.DictReader(open(path)):
    if row["point"] == point and row["metric"] == metric:
        print(row[col]); break
PY
}

# --- --set with values that hold commas ---------------------------------------
expect_exit 0 "a --set grid" -- "$DSIM" tune "$RAFT" --set 'raft.election_timeout=[150ms,300ms],[150ms,200ms]' \
  --set raft.heartbeat=50ms --seeds 1..3 -j 2 --progress never --csv "$WORK/set.csv"
head -1 "$WORK/set.csv" | grep -q '^point,raft.election_timeout,raft.heartbeat,metric,seeds,median,p10,p90,min,max,sum$' \
  && pass || fail "CSV header: $(head -1 "$WORK/set.csv")"
grep -q '^1,"\[150ms,200ms\]",50ms,leader.downtime_ms,3,' "$WORK/set.csv" && pass || fail "point 1 has no downtime over 3 seeds"
grep -q 'leader.downtime_ms' "$WORK/out" && grep -q '\[150ms,300ms\]' "$WORK/out" && pass || fail "no table on stdout"
[ "$(cell "$WORK/set.csv" 0 check.election_safety.held sum)" = 3 ] && pass || fail "election_safety should hold on 3 seeds"

# --- Invalid points: rejected before anything runs ---------------------------
expect_exit 3 "a reversed range" -- "$DSIM" tune "$RAFT" --set 'raft.election_timeout=[150ms,300ms],[300ms,150ms]' \
  --seeds 1..3 --results "$WORK/bad.jsonl"
grep -q 'raft.election_timeout=\[300ms,150ms\]' "$WORK/err" && pass || fail "the invalid point is not named: $(cat "$WORK/err")"
grep -q 'nothing was run' "$WORK/err" && pass || fail "no 'nothing was run'"
[ ! -e "$WORK/bad.jsonl" ] && pass || fail "an invalid grid created the results file"
expect_exit 3 "a value of the wrong type" -- "$DSIM" tune "$DYN" --set dynamo.r=1,two --seeds 1..2
grep -q "dynamo.r=two" "$WORK/err" && pass || fail "the bad value is not named: $(cat "$WORK/err")"
expect_exit 3 "an unknown key" -- "$DSIM" tune "$DYN" --set dynamo.quorum=1,2 --seeds 1..2
grep -q "quorum" "$WORK/err" && pass || fail "the unknown key is not named"
expect_exit 3 "a value that is not YAML" -- "$DSIM" tune "$DYN" --set 'dynamo.r=[1' --seeds 1..2
expect_exit 3 "a key below a scalar" -- "$DSIM" tune "$DYN" --set protocol.x=1 --seeds 1..2
expect_exit 2 "a --set without =" -- "$DSIM" tune "$DYN" --set dynamo.r --seeds 1..2
expect_exit 2 "no grid" -- "$DSIM" tune "$DYN" --seeds 1..2
expect_exit 2 "a key on two axes" -- "$DSIM" tune "$DYN" --set dynamo.r=1,2 --set dynamo.r=3 --seeds 1..2
expect_exit 2 "more runs than tune keeps" -- "$DSIM" tune "$DYN" --set dynamo.r=1,2 --seeds 1..600000
expect_exit 2 "an unknown metric" -- "$DSIM" tune "$DYN" --set dynamo.r=1,2 --seeds 1..2 --metric no.such --progress never
expect_exit 3 "a bad base scenario" -- "$DSIM" tune tests/testdata/bad-scenarios/unknown-key.yaml --set raft.heartbeat=1ms --seeds 1..2
mkfifo "$WORK/fifo"
expect_exit 3 "a FIFO (no hang)" -- timeout 20 "$DSIM" tune "$WORK/fifo" --set dynamo.r=1 --seeds 1..2
expect_exit 2 "standard input" -- "$DSIM" tune - --set dynamo.r=1 --seeds 1..2
printf 'scenario: ../x.yaml\ngrid: {dynamo.r: [1, 2]}\nbogus: 1\n' >"$WORK/badgrid.yaml"
expect_exit 3 "a grid file with an unknown key" -- "$DSIM" tune "$WORK/badgrid.yaml"
grep -q "badgrid.yaml:3:1: error: unknown key 'bogus'" "$WORK/err" && pass || fail "grid file error without file:line:col: $(cat "$WORK/err")"

# --- The metric list -----------------------------------------------------------
expect_exit 0 "--metrics" -- "$DSIM" tune "$RAFT" --set raft.heartbeat=50ms --metrics
for m in leader.downtime_ms leader.split_votes check.raft_liveness.violated net.sent requests.latency_p99_ms requests.messages_per_request; do
  grep -q "^  $m " "$WORK/out" && pass || fail "--metrics does not list $m"
done
expect_exit 0 "--metrics (dynamo)" -- "$DSIM" tune "$DYN" --set dynamo.r=1 --metrics
grep -q "^  clients.stale_read_pct " "$WORK/out" && grep -q "^  clients.partition_availability_pct " "$WORK/out" \
  && pass || fail "--metrics lacks the clients' metrics"

# --- Measurements mean what they say ------------------------------------------
"$DSIM" tune "$DYN" --set dynamo.r=1,3 --set dynamo.w=1,3 --seeds 1..6 -j 2 --progress never --csv "$WORK/q.csv" >/dev/null 2>&1
[ "$(csv_rows "$WORK/q.csv")" -gt 4 ] && pass || fail "quorum grid gave no CSV"
# Points: 0 r=1 w=1, 1 r=1 w=3, 2 r=3 w=1, 3 r=3 w=3.
[ "$(cell "$WORK/q.csv" 3 clients.stale_reads max)" = 0 ] && pass || fail "R=W=3 read a stale value"
[ "$(cell "$WORK/q.csv" 0 clients.stale_reads sum)" != 0 ] && pass || fail "R=W=1 read nothing stale"
python3 - "$WORK/q.csv" <<'PY' && pass || fail "R=W=1 should stay more available under the partition than R=W=3"
import csv, sys
rows = {(r["point"], r["metric"]): r for r in csv.DictReader(open(sys.argv[1]))}
a = float(rows[("0", "clients.partition_availability_pct")]["median"])
b = float(rows[("3", "clients.partition_availability_pct")]["median"])
assert a > b, (a, b)
PY

# --- A grid file; determinism ---------------------------------------------------
cat >"$WORK/grid.yaml" <<GRID_EOF
scenario: $PWD/$DYN
seeds: 1..4
grid:
  quorum:
    - {label: one, set: {dynamo.r: 1, dynamo.w: 1}}
    - {label: majority, set: {dynamo.r: 2, dynamo.w: 2}}
metrics: [clients.stale_read_pct]
GRID_EOF
expect_exit 0 "a grid file" -- "$DSIM" tune "$WORK/grid.yaml" --progress never --csv "$WORK/g1.csv"
head -1 "$WORK/out" | grep -q '^quorum  *clients.stale_read_pct$' && pass || fail "table header: $(head -1 "$WORK/out")"
grep -q '^1,majority,clients.stale_read_pct,4,' "$WORK/g1.csv" && pass || fail "the grid file's seeds were not used"
"$DSIM" tune "$WORK/grid.yaml" -j 1 --progress never --csv "$WORK/g2.csv" >/dev/null 2>&1
cmp -s "$WORK/g1.csv" "$WORK/g2.csv" && pass || fail "two runs of one grid gave different CSV"

# --- SIGKILL mid-grid, then --resume: the same CSV ------------------------------
ARGS=("$DYN" --set dynamo.r=1,2,3 --set dynamo.w=1,2 --seeds 1..10 -j 2 --progress never)
"$DSIM" tune "${ARGS[@]}" --results "$WORK/full.jsonl" --csv "$WORK/full.csv" >/dev/null 2>&1
[ "$(wc -l <"$WORK/full.jsonl")" -eq 60 ] && pass || fail "the full grid recorded $(wc -l <"$WORK/full.jsonl") runs, want 60"
grep -q '"metrics":{' "$WORK/full.jsonl" && pass || fail "results records carry no metrics"
"$DSIM" tune "${ARGS[@]}" --results "$WORK/killed.jsonl" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [ -f "$WORK/killed.jsonl" ] && [ "$(wc -l <"$WORK/killed.jsonl")" -ge 5 ] && break
  sleep 0.05
done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
before=$(wc -l <"$WORK/killed.jsonl")
if [ "$before" -gt 0 ] && [ "$before" -lt 60 ]; then pass; else fail "the kill did not land mid-grid ($before of 60 runs)"; fi
printf '{"schema":"dsim.result/1","scenario":"torn' >>"$WORK/killed.jsonl"
expect_exit 0 "resume" -- "$DSIM" tune "${ARGS[@]}" --results "$WORK/killed.jsonl" --resume --csv "$WORK/resumed.csv"
grep -q "resumed" "$WORK/err" && pass || fail "no resume count"
[ "$(wc -l <"$WORK/killed.jsonl")" -eq 60 ] && pass || fail "resume left $(wc -l <"$WORK/killed.jsonl") records, want 60"
cmp -s "$WORK/full.csv" "$WORK/resumed.csv" && pass || { fail "the resumed grid's CSV differs"; diff "$WORK/full.csv" "$WORK/resumed.csv" | head >&2; }
# Another grid on the same file: only the points it shares resume.
expect_exit 0 "resume with another value" -- "$DSIM" tune "$DYN" --set dynamo.r=1,2,3 --set dynamo.w=1,3 --seeds 1..10 -j 2 \
  --progress never --results "$WORK/killed.jsonl" --resume
grep -q "(30 resumed)" "$WORK/err" && pass || fail "only the w=1 points should resume: $(grep resumed "$WORK/err")"

# --- Shards ---------------------------------------------------------------------
"$DSIM" tune "${ARGS[@]}" --shard 0/2 --results "$WORK/s0.jsonl" >/dev/null 2>&1
"$DSIM" tune "${ARGS[@]}" --shard 1/2 --results "$WORK/s1.jsonl" >/dev/null 2>&1
[ "$(cat "$WORK/s0.jsonl" "$WORK/s1.jsonl" | wc -l)" -eq 60 ] && pass || fail "two shards ran $(cat "$WORK"/s?.jsonl | wc -l) runs, want 60"
"$DSIM" merge "$WORK/s0.jsonl" "$WORK/s1.jsonl" --quiet 2>"$WORK/merge.err"
grep -q "^merge: 60 runs" "$WORK/merge.err" && pass || fail "merging the shards: $(cat "$WORK/merge.err")"
# The shards' metrics: --resume over their concatenated records runs nothing
# and gives the unsharded grid's CSV, byte for byte.
cat "$WORK/s0.jsonl" "$WORK/s1.jsonl" >"$WORK/shards.jsonl"
expect_exit 0 "the shards' metrics" -- "$DSIM" tune "${ARGS[@]}" --results "$WORK/shards.jsonl" --resume --csv "$WORK/shards.csv"
grep -q "(60 resumed)" "$WORK/err" && pass || fail "the shards' runs should all resume: $(grep resumed "$WORK/err")"
[ "$(wc -l <"$WORK/shards.jsonl")" -eq 60 ] && pass || fail "resuming complete shards ran more runs"
cmp -s "$WORK/full.csv" "$WORK/shards.csv" && pass || { fail "the shards' CSV differs from the unsharded one"; diff "$WORK/full.csv" "$WORK/shards.csv" | head >&2; }
finish
