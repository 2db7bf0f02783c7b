#!/usr/bin/env bash
# `dsim sweep` and `dsim merge` end to end: a sweep killed with SIGKILL and
# resumed gives the same summary as an uninterrupted one; three shards run
# as separate processes through GNU parallel, merged, give the same summary
# as one unsharded sweep; JUnit is valid XML; the determinism self-check
# passes; exit codes. Usage: sweep_test.sh PATH/TO/dsim SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh"

CHURN=scenarios/regression/raft-churn.yaml
BUG=scenarios/bugs/raft-skip-prev-check.yaml
SEEDS=1..60
summary() { grep -v -E '^(sweep|merge): ' "$1"; }  # drop the line with wall time and resume counts

# --- An uninterrupted sweep (two scenarios, one of them with failing seeds) --
"$DSIM" sweep "$CHURN" "$BUG" --seeds $SEEDS -j 2 --progress never --results "$WORK/full.jsonl" \
  --junit "$WORK/full.xml" 2>"$WORK/full.err"
[ $? -eq 1 ] && pass || fail "sweep with unexpected seeds should exit 1"
grep -q "failing seeds:" "$WORK/full.err" && pass || fail "no failing seeds listed"
grep -q "^    reproduce: dsim run $BUG --seed " "$WORK/full.err" && pass || fail "no reproduction line"
[ "$(wc -l <"$WORK/full.jsonl")" -eq 120 ] && pass || fail "results file does not hold 120 runs"
if command -v xmllint >/dev/null; then
  xmllint --noout "$WORK/full.xml" && pass || fail "JUnit is not well-formed"
fi
grep -q '<testcase classname="dsim.raft_skip_prev_check" name="log_matching"' "$WORK/full.xml" && \
  grep -q 'type="ExpectedViolationMissing"' "$WORK/full.xml" && pass || fail "JUnit lacks the failing case"

# --- SIGKILL mid-sweep, then --resume: same summary --------------------------
"$DSIM" sweep "$CHURN" "$BUG" --seeds $SEEDS -j 2 --progress never --results "$WORK/killed.jsonl" \
  2>/dev/null &
pid=$!
for _ in $(seq 1 600); do  # kill it once some runs are recorded (at most ~60 s, for slow sanitizer builds)
  [ -f "$WORK/killed.jsonl" ] && [ "$(wc -l <"$WORK/killed.jsonl")" -ge 5 ] && break
  sleep 0.1
done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
before=$(wc -l <"$WORK/killed.jsonl")
if [ "$before" -gt 0 ] && [ "$before" -lt 120 ]; then pass; else fail "the kill did not land mid-sweep ($before of 120 runs)"; fi
printf '{"schema":"dsim.result/1","scenario":"torn' >>"$WORK/killed.jsonl"  # a line cut by the kill
"$DSIM" sweep "$CHURN" "$BUG" --seeds $SEEDS -j 2 --progress never --results "$WORK/killed.jsonl" --resume \
  2>"$WORK/resumed.err"
grep -q "resumed" "$WORK/resumed.err" && pass || fail "resume printed no resume count"
if diff <(summary "$WORK/full.err" | grep -v '^unexpected: ' | sort) <(summary "$WORK/resumed.err" | grep -v '^unexpected: ' | sort) >/dev/null; then
  pass
else
  fail "resumed summary differs from the uninterrupted one"
  diff <(summary "$WORK/full.err" | sort) <(summary "$WORK/resumed.err" | sort) >&2
fi
[ "$(wc -l <"$WORK/killed.jsonl")" -eq 120 ] && pass || fail "resume left $(wc -l <"$WORK/killed.jsonl") records, want 120 (none twice, none lost)"
"$DSIM" merge "$WORK/full.jsonl" 2>"$WORK/m-full.err"
"$DSIM" merge "$WORK/killed.jsonl" 2>"$WORK/m-killed.err"
cmp -s "$WORK/m-full.err" "$WORK/m-killed.err" && pass || fail "merged summaries of full and resumed results differ"

# --- Three shards through GNU parallel (scripts/parallel-sweep.sh), merged --
if command -v parallel >/dev/null; then
  DSIM="$DSIM" bash scripts/parallel-sweep.sh 3 "$WORK/shards" -- "$CHURN" "$BUG" --seeds $SEEDS -j 1 2>"$WORK/m-shards.err"
  [ $? -eq 1 ] && pass || fail "merge of failing shards should exit 1"
  total=$(cat "$WORK"/shards/shard-*.jsonl | wc -l)
  [ "$total" -eq 120 ] && pass || fail "three shards ran $total runs, want 120"
  cmp -s "$WORK/m-full.err" "$WORK/m-shards.err" && pass || { fail "sharded + merged summary differs"; diff "$WORK/m-full.err" "$WORK/m-shards.err" >&2; }
  command -v xmllint >/dev/null && { xmllint --noout "$WORK/shards/junit.xml" && pass || fail "merged JUnit invalid"; }
else
  fail "GNU parallel is not installed (scripts/setup.sh installs it)"
fi

# --- Determinism self-check, derived seeds, exit codes ------------------------
"$DSIM" sweep "$CHURN" --seeds 1..6 -j 2 --check-determinism 100 --quiet 2>/dev/null
[ $? -eq 0 ] && pass || fail "--check-determinism failed on a deterministic scenario"
"$DSIM" sweep scenarios/teaching/broadcast-lossy.yaml --runs 3 --seed 5 --progress never 2>"$WORK/runs.err"
[ $? -eq 0 ] && pass || fail "--runs sweep failed"
"$DSIM" sweep "$BUG" --seeds 1..60 -j 1 --fail-fast --quiet --results "$WORK/ff.jsonl" 2>/dev/null
[ $? -eq 1 ] && [ "$(wc -l <"$WORK/ff.jsonl")" -lt 60 ] && pass || fail "--fail-fast did not stop early"
"$DSIM" sweep "$CHURN" --seeds 1..1 --shard 1/2 2>/dev/null; [ $? -eq 4 ] && pass || fail "empty shard should exit 4"
"$DSIM" sweep "$CHURN" --seeds 5..1 2>/dev/null; [ $? -eq 2 ] && pass || fail "bad --seeds should exit 2"
"$DSIM" sweep "$CHURN" --seeds 1..3 --shard 3/3 2>/dev/null; [ $? -eq 2 ] && pass || fail "bad --shard should exit 2"
"$DSIM" sweep tests/testdata/bad-scenarios/unknown-key.yaml --seeds 1..3 2>/dev/null; [ $? -eq 3 ] && pass || fail "bad scenario should exit 3"
printf 'garbage\n' >"$WORK/bad.jsonl"
"$DSIM" merge "$WORK/bad.jsonl" 2>/dev/null; [ $? -eq 3 ] && pass || fail "bad results file should exit 3"

# --- Shrinking a nemesis failure ----------------------------------------------
"$DSIM" shrink scenarios/bugs/raft-vote-any-log.yaml --seed 1 -o "$WORK/shrunk.yaml" 2>"$WORK/shrink.err"
[ $? -eq 0 ] && pass || fail "shrink failed: $(cat "$WORK/shrink.err")"
grep -q "^  faults .* -> " "$WORK/shrink.err" && pass || fail "shrink printed no before/after"
"$DSIM" run "$WORK/shrunk.yaml" 2>"$WORK/shrunk-run.err"
[ $? -eq 0 ] && grep -q "violated     leader_completeness" "$WORK/shrunk-run.err" && pass || fail "the shrunk scenario does not fail the same check"
grep -q "^nemesis:" "$WORK/shrunk.yaml" && fail "the shrunk scenario still has a nemesis" || pass
"$DSIM" shrink scenarios/teaching/broadcast-lossy.yaml --seed 7 -o "$WORK/none.yaml" 2>/dev/null
[ $? -eq 4 ] && [ ! -e "$WORK/none.yaml" ] && pass || fail "shrinking a passing seed should exit 4 and write nothing"

# A run whose checks could not decide (Multi-Paxos with no client commands:
# its liveness has nothing to judge) is inconclusive, not unexpected: exit 5.
printf 'version: 1\nname: idle\nprotocol: multipaxos\nduration: 3s\nnodes: 5\n' >"$WORK/idle.yaml"
expect_exit 5 "sweep of inconclusive runs" -- "$DSIM" sweep "$WORK/idle.yaml" --seeds 1..3 --quiet --results "$WORK/idle.jsonl"
grep -q '"outcome":"inconclusive"' "$WORK/idle.jsonl" && pass || fail "results record no inconclusive outcome"
expect_exit 5 "merge of inconclusive runs" -- "$DSIM" merge "$WORK/idle.jsonl" --quiet
finish
