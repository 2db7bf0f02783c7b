#!/usr/bin/env bash
# dsim explore (docs/explore.md): the catalogue's verdicts (bugs found with
# no fault script, correct configurations searched to their bound), the
# counterexample as a scenario that dsim run replays to the same violation,
# determinism, limits (exit 5), protocols and checks that cannot be
# explored (exit 3), goals, bad flags.
# Usage: explore_test.sh PATH/TO/dsim SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh"

X=scenarios/explore

# --- The catalogue -------------------------------------------------------------
expect_exit 0 "Figure 8 found" -- "$DSIM" explore $X/raft-figure8.yaml -o "$WORK/f8.yaml" --report "$WORK/f8.html"
grep -q "VIOLATED leader_completeness" "$WORK/err" && pass || fail "figure 8: $(cat "$WORK/err")"
grep -q "expected  yes" "$WORK/err" && pass || fail "figure 8 not as expected"
grep -q "^schedule:" "$WORK/f8.yaml" && pass || fail "no schedule in the counterexample"
grep -q "{crash: n" "$WORK/f8.yaml" && pass || fail "figure 8 needs crashes: $(grep -c . "$WORK/f8.yaml") lines"
grep -q "<html" "$WORK/f8.html" && pass || fail "no report"
# The counterexample stands alone: dsim run replays it to the violation.
expect_exit 0 "figure 8 replays as expected" -- "$DSIM" run "$WORK/f8.yaml"
grep -q "violated     leader_completeness" "$WORK/err" && pass || fail "replay: $(cat "$WORK/err")"
# Without the scenario's expectation, the replay is a failing run.
grep -v -e '^expect:' -e '^  violated:' "$WORK/f8.yaml" >"$WORK/f8-plain.yaml"
expect_exit 1 "figure 8 replay fails without expect" -- "$DSIM" run "$WORK/f8-plain.yaml"
# The same search without the bug: nothing found; random walks end at their state limit.
expect_exit 5 "correct Raft: no violation, inconclusive by design" -- "$DSIM" explore $X/raft-figure8-fixed.yaml -o "$WORK/none.yaml"
grep -q "INCONCLUSIVE: the states limit" "$WORK/err" && pass || fail "fixed: $(cat "$WORK/err")"
[ ! -e "$WORK/none.yaml" ] && pass || fail "a counterexample written for a correct Raft"

for bug in forget-promise forget-accepted; do
  expect_exit 0 "paxos $bug found" -- "$DSIM" explore $X/paxos-$bug.yaml -o "$WORK/$bug.yaml"
  grep -q "VIOLATED paxos_agreement" "$WORK/err" && pass || fail "paxos $bug: $(cat "$WORK/err")"
  grep -q "shrunk " "$WORK/err" && pass || fail "paxos $bug: the walk's path was not shrunk"
  expect_exit 0 "paxos $bug replays" -- "$DSIM" run "$WORK/$bug.yaml"
done
expect_exit 0 "correct paxos: no violation up to depth 12" -- "$DSIM" explore $X/paxos-3-acceptors-2-proposers.yaml
grep -q "no violation in 623,596 states up to depth 12" "$WORK/err" && pass || fail "paxos exhaustive: $(cat "$WORK/err")"
expect_exit 0 "goal: a value chosen" -- "$DSIM" explore $X/paxos-value-chosen.yaml -o "$WORK/goal.yaml"
grep -q "goal reached at depth 9" "$WORK/err" && pass || fail "goal: $(cat "$WORK/err")"
expect_exit 0 "the goal's path replays" -- "$DSIM" run "$WORK/goal.yaml" --trace "$WORK/goal.jsonl"
grep -q '"kind":"learned"' "$WORK/goal.jsonl" && pass || fail "the goal's replay learns nothing"
expect_exit 1 "goal unreachable within 3 steps" -- "$DSIM" explore $X/paxos-value-chosen.yaml --max-depth 3
grep -q "GOAL UNREACHABLE" "$WORK/err" && pass || fail "unreachable goal: $(cat "$WORK/err")"

expect_exit 0 "broadcast no-retransmit found" -- "$DSIM" explore $X/broadcast-no-retransmit.yaml -o "$WORK/bc.yaml"
grep -q "VIOLATED all_delivered at depth 4 (then nothing can happen" "$WORK/err" && pass || fail "broadcast: $(cat "$WORK/err")"
expect_exit 0 "broadcast counterexample replays" -- "$DSIM" run "$WORK/bc.yaml"
expect_exit 0 "correct broadcast under loss: no violation to depth 10" -- "$DSIM" explore $X/broadcast-lossy.yaml
grep -q "no violation in [0-9,]* states up to depth 10" "$WORK/err" && pass || fail "broadcast lossy: $(cat "$WORK/err")"
# An expected violation the bound does not reach is a failure, not a pass.
expect_exit 1 "expected violation not reached" -- "$DSIM" explore $X/broadcast-no-retransmit.yaml --max-depth 3
grep -q "which did not happen" "$WORK/err" && pass || fail "missing expected: $(cat "$WORK/err")"

# --- Determinism: the same search writes the same bytes ----------------------
"$DSIM" explore $X/paxos-forget-promise.yaml -o "$WORK/d1.yaml" 2>/dev/null
"$DSIM" explore $X/paxos-forget-promise.yaml -o "$WORK/d2.yaml" 2>/dev/null
cmp -s "$WORK/d1.yaml" "$WORK/d2.yaml" && pass || fail "two explorations wrote different counterexamples"
# Breadth-first paths are shortest: depth 4 for the broadcast bug, not shrunk.
[ "$(grep -cE '^  - \{(input|deliver|drop|duplicate|timer|crash|restart):' "$WORK/bc.yaml")" -eq 4 ] && pass || fail "broadcast path not 4 steps"

# A walk's path at a quiescent state is shrunk only as far as the loss still
# stands: the drop stays (a schedule that merely stops with the message in
# flight would prove nothing).
expect_exit 0 "broadcast by random walks" -- "$DSIM" explore $X/broadcast-no-retransmit.yaml --strategy random -o "$WORK/bcr.yaml"
grep -q "{drop: " "$WORK/bcr.yaml" && pass || fail "the random walk's counterexample lost its drop: $(cat "$WORK/bcr.yaml")"
sed 's/, bug: no_retransmit//' "$WORK/bcr.yaml" | grep -v -e '^expect:' -e '^  violated:' >"$WORK/bcr-fixed.yaml"
# Correct broadcast retransmits, so its run is not over there: no verdict (exit 5), never a violation.
expect_exit 5 "the same schedule on correct broadcast convicts nothing" -- "$DSIM" run "$WORK/bcr-fixed.yaml"
grep -q "violated " "$WORK/err" && fail "correct broadcast convicted: $(cat "$WORK/err")" || pass
# The written counterexample carries what its replay needs (a small max_events).
sed 's/^duration: 1s/duration: 1s\nmax_events: 5/' $X/paxos-forget-promise.yaml >"$WORK/maxev.yaml"
expect_exit 0 "a small max_events still replays" -- "$DSIM" explore "$WORK/maxev.yaml" -o "$WORK/maxev-cx.yaml"
# --max-time overrides explore.max_time.
sed 's/^  max_states: 2000000/  max_states: 2000000\n  max_time: 10ms/' $X/raft-figure8-fixed.yaml >"$WORK/short.yaml"
expect_exit 5 "explore.max_time stops the search" -- "$DSIM" explore "$WORK/short.yaml"
grep -q "the time limit" "$WORK/err" && pass || fail "max_time: $(cat "$WORK/err")"
expect_exit 5 "--max-time overrides it" -- "$DSIM" explore "$WORK/short.yaml" --max-time 60s
grep -q "the states limit" "$WORK/err" && pass || fail "--max-time did not override: $(cat "$WORK/err")"
expect_exit 2 "negative --max-states" -- "$DSIM" explore $X/paxos-value-chosen.yaml --max-states -1
# A space of exactly max_states states is exhausted, not cut short.
expect_exit 0 "exactly max_states" -- "$DSIM" explore $X/paxos-3-acceptors-2-proposers.yaml --max-depth 6 --max-states 3497
grep -q "no violation in 3,497 states up to depth 6" "$WORK/err" && pass || fail "exact limit: $(cat "$WORK/err")"

# --- Limits, refusals, bad input ---------------------------------------------
expect_exit 5 "a state limit is inconclusive" -- "$DSIM" explore $X/paxos-3-acceptors-2-proposers.yaml --max-states 100
grep -q "INCONCLUSIVE: the states limit" "$WORK/err" && pass || fail "limit: $(cat "$WORK/err")"
printf 'version: 1\nname: lock\nprotocol: lock\nduration: 1s\nnodes: 3\nexplore: {max_depth: 5}\n' >"$WORK/lock.yaml"
expect_exit 3 "a protocol that cannot be copied" -- "$DSIM" explore "$WORK/lock.yaml"
grep -q "lock.yaml: protocol 'lock' cannot be explored" "$WORK/err" && pass || fail "lock: $(cat "$WORK/err")"
# Scripted faults and a nemesis are refused, with or without an explore: section.
expect_exit 3 "a nemesis" -- "$DSIM" explore scenarios/bugs/raft-vote-any-log.yaml
grep -q "remove \`nemesis:\`" "$WORK/err" && pass || fail "nemesis: $(cat "$WORK/err")"
expect_exit 3 "scripted faults" -- "$DSIM" explore scenarios/bugs/raft-commit-previous-term.yaml
grep -q "remove \`faults:\`" "$WORK/err" && pass || fail "faults: $(cat "$WORK/err")"
# The header says how to find the path again, with the options that mattered.
grep -q "^# Written by: .*explore $X/broadcast-no-retransmit.yaml --seed 1 --strategy random" "$WORK/bcr.yaml" && pass ||
  fail "header: $(head -1 "$WORK/bcr.yaml")"
sed 's/^checks: .*/checks: [election_safety, {name: raft_liveness, within: 1s}]/' $X/raft-figure8.yaml |
  grep -v -e '^expect:' -e '^  violated:' >"$WORK/live.yaml"
expect_exit 3 "a check that cannot be copied" -- "$DSIM" explore "$WORK/live.yaml"
grep -q "check 'raft_liveness' cannot run under dsim explore" "$WORK/err" && pass || fail "liveness check: $(cat "$WORK/err")"
expect_exit 2 "unknown strategy" -- "$DSIM" explore $X/paxos-value-chosen.yaml --strategy widest
expect_exit 2 "depth 0" -- "$DSIM" explore $X/paxos-value-chosen.yaml --max-depth 0
expect_exit 2 "a bad time" -- "$DSIM" explore $X/paxos-value-chosen.yaml --max-time soon
cp $X/broadcast-no-retransmit.yaml "$WORK/in.yaml"
expect_exit 74 "the output would replace the input" -- "$DSIM" explore "$WORK/in.yaml" -o "$WORK/in.yaml"
cmp -s "$WORK/in.yaml" $X/broadcast-no-retransmit.yaml && pass || fail "the input was replaced"
expect_exit 2 "explore a schedule" -- "$DSIM" explore "$WORK/bc.yaml"

finish
