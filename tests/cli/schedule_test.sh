#!/usr/bin/env bash
# Scripted schedules end to end: `dsim run` replays one byte for byte, a
# step that cannot happen is bad input (file:line, exit 3, no output file),
# `dsim check` agrees with the replay, `dsim sweep` and `dsim tune` stop on a
# bad step, and `dsim shrink` cuts a schedule down to the steps its violation
# needs.
# Usage: schedule_test.sh DSIM SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh"

BUG=scenarios/bugs/broadcast-no-retransmit-schedule.yaml

# --- Replay: deterministic, and judged like a timed run ----------------------
expect_exit 0 "replay (a)" -- "$DSIM" run "$BUG" --trace "$WORK/a.jsonl" --json "$WORK/a.json"
expect_exit 0 "replay (b)" -- "$DSIM" run "$BUG" --trace "$WORK/b.jsonl"
cmp -s "$WORK/a.jsonl" "$WORK/b.jsonl" && pass || fail "the same schedule replayed to different trace bytes"
python3 - "$WORK/a.json" <<'PY' && pass || fail "--json of a replayed schedule"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["outcome"] == "as_expected", d["outcome"]
assert d["events"] == 4, d["events"]                   # one per step
assert d["messages"]["dropped"] == 1, d["messages"]
assert d["simulated_time_ns"] == 2_000_000_000, d["simulated_time_ns"]
status = {c["name"]: c["status"] for c in d["checks"]}
assert status == {"no_duplicate_delivery": "held", "all_delivered": "violated"}, status
PY
grep -q '"t":3000000,"node":"n3","kind":"drop"' "$WORK/a.jsonl" && pass || fail "step 3 (the drop) is not at 3ms"
expect_exit 0 "offline check of the replay's trace" -- "$DSIM" check "$WORK/a.jsonl"

# --- A step that cannot happen -------------------------------------------------
sed 's/to: n3, nth: 1}}/to: n3, nth: 2}}/' "$BUG" >"$WORK/bad.yaml"
line=$(grep -n 'to: n3, nth: 2' "$WORK/bad.yaml" | cut -d: -f1)
expect_exit 3 "a step that cannot happen" -- "$DSIM" run "$WORK/bad.yaml" --trace "$WORK/never.jsonl" \
  --json "$WORK/never.json" --report "$WORK/never.html"
grep -q "^$WORK/bad.yaml:$line: schedule step 3 ({drop: {from: n1, to: n3, nth: 2}}): no message n1 -> n3 #2 in flight\$" \
  "$WORK/err" && pass || { fail "no file:line error for the bad step"; sed 's/^/    /' "$WORK/err" >&2; }
ls "$WORK" | grep -q never && fail "an output file was written for a schedule that cannot be replayed" || pass
expect_exit 3 "sweep over a schedule that cannot be replayed" -- "$DSIM" sweep "$WORK/bad.yaml" --seeds 1..5
grep -q "schedule step 3" "$WORK/err" && pass || fail "sweep does not say which step"
expect_exit 3 "tune over a schedule that cannot be replayed" -- "$DSIM" tune "$WORK/bad.yaml" --set duration=2s,3s \
  --seeds 1..2 --metric net.sent
grep -q "schedule step 3" "$WORK/err" && pass || fail "tune does not say which step"
expect_exit 3 "tune --metrics of a schedule that cannot be replayed" -- "$DSIM" tune "$WORK/bad.yaml" \
  --set duration=2s,3s --seeds 1..2 --metrics
expect_exit 3 "shrink of a schedule that cannot be replayed" -- "$DSIM" shrink "$WORK/bad.yaml" --seed 1 -o "$WORK/never.yaml"
[ -e "$WORK/never.yaml" ] && fail "shrink wrote a file for a schedule that cannot be replayed" || pass

# --- Shrink: only the steps the violation needs are kept ---------------------
# The schedule must end where nothing more can happen (every message
# delivered or dropped): a schedule that merely stops with a message in
# flight is judged right after its last step, and proves no loss.
cat >"$WORK/padded.yaml" <<'YAML'
version: 1
name: broadcast-schedule-padded
protocol: broadcast
seed: 3
duration: 3s
nodes: 3
broadcast: {bug: no_retransmit}
workload: {broadcasts: 1, from: [n1]}
checks: [no_duplicate_delivery, {name: all_delivered, within: 1s}]
expect: {violated: [all_delivered]}
schedule:
  - {input: n1}
  - {deliver: {from: n1, to: n2, nth: 1}}
  - {deliver: {from: n2, to: n1, nth: 1}}
  - {drop: {from: n1, to: n3, nth: 1}}
  - {crash: n2}
  - {restart: n2}
YAML
expect_exit 0 "shrink a schedule" -- "$DSIM" shrink "$WORK/padded.yaml" --seed 3 -o "$WORK/shrunk.yaml"
grep -q "schedule steps  6 -> 5" "$WORK/err" && pass || { fail "shrink did not cut the schedule to 5 steps"; cat "$WORK/err" >&2; }
expect_exit 0 "the shrunk schedule replays to the same violation" -- "$DSIM" run "$WORK/shrunk.yaml" --json "$WORK/s.json"
python3 - "$WORK/s.json" "$WORK/shrunk.yaml" <<'PY' && pass || fail "the shrunk schedule"
import json, sys
d = json.load(open(sys.argv[1]))
assert [(c["name"], c["status"]) for c in d["checks"]] == [("all_delivered", "violated")], d["checks"]
text = open(sys.argv[2]).read()
steps = text.split("schedule:\n", 1)[1].split("checks:", 1)[0]
assert "{drop: {from: n1, to: n3, nth: 1}}" in steps and "restart" not in steps, steps
PY
# Stopping before the message is dropped or delivered proves nothing: not violated.
head -n -3 "$WORK/padded.yaml" >"$WORK/cut.yaml"
expect_exit 1 "a schedule that stops with a message in flight shows no loss" -- "$DSIM" run "$WORK/cut.yaml"
grep -q "inconclusive *all_delivered" "$WORK/err" && pass || { fail "cut schedule: $(cat "$WORK/err")"; }

finish
