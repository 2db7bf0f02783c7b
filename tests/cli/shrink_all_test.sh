#!/usr/bin/env bash
# Validation in one place: `dsim shrink` on every planted-bug scenario writes
# a file that `dsim run` loads and that fails the same check on the same seed
# (every candidate shrink considers is written out and loaded back by the
# protocol's own validation first).
# Usage: shrink_all_test.sh DSIM SOURCE_DIR
set -u
source "$(dirname "$0")/lib.sh"

for f in scenarios/bugs/*.yaml; do
  name=$(basename "$f" .yaml)
  seed=$(sed -n 's/^seed: \([0-9]*\)$/\1/p' "$f")
  if ! "$DSIM" shrink "$f" --seed "$seed" -o "$WORK/$name.yaml" >"$WORK/$name.log" 2>&1; then
    fail "$name: shrink failed"; sed 's/^/    /' "$WORK/$name.log" >&2; continue
  fi
  # The shrunk scenario keeps only the violated check and expects its violation.
  "$DSIM" run "$WORK/$name.yaml" --seed "$seed" --json "$WORK/$name.json" >/dev/null 2>"$WORK/$name.err"
  rc=$?
  [ $rc -eq 0 ] && pass || { fail "$name: the shrunk scenario exits $rc"; sed 's/^/    /' "$WORK/$name.err" >&2; }
  python3 - "$WORK/$name.json" <<'PY' && pass || fail "$name: the shrunk run does not violate its check"
import json, sys
j = json.load(open(sys.argv[1]))
checks = j["checks"]
assert len(checks) == 1, checks
assert checks[0]["status"] == "violated", checks
PY
done

# Paxos ballots encode the node id in two digits: 100 nodes is a located
# error (exit 3), not an assertion.
for p in paxos multipaxos; do
  printf 'version: 1\nname: big\nprotocol: %s\nduration: 1s\nnodes: 100\n' "$p" >"$WORK/big-$p.yaml"
  expect_exit 3 "$p with 100 nodes" -- "$DSIM" run "$WORK/big-$p.yaml"
  grep -q "big-$p.yaml:5:8: .*at most 99 nodes" "$WORK/err" && pass || { fail "$p: no located message"; cat "$WORK/err" >&2; }
  printf 'version: 1\nname: ok\nprotocol: %s\nduration: 6s\nnodes: 99\n' "$p" >"$WORK/ok-$p.yaml"
  # Multi-Paxos is judged on client commands: give it some.
  [ "$p" = multipaxos ] && printf 'workload: {requests: 20, start: 2500ms, interval: 20ms}\n' >>"$WORK/ok-$p.yaml"
  expect_exit 0 "$p with 99 nodes" -- "$DSIM" run "$WORK/ok-$p.yaml" --quiet
done
finish
