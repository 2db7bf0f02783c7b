#!/usr/bin/env bash
# Strict verdicts (issue 14): traces validated against the schema (unknown
# kind, missing key, wrong type, no end line), the schema doc generated from
# the code, every catalogue trace still valid, `checks: []` exits 4, one
# trace hash however the scenario path is spelled, and `expect.seeds: some`.
# Usage: strict_test.sh PATH/TO/dsim SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh"

RAFT=scenarios/teaching/raft-leader-crash.yaml
LOSSY=scenarios/teaching/broadcast-lossy.yaml

# --- Hand-damaged traces exit 3 with file:line:col -------------------------
"$DSIM" run "$RAFT" --seed 1 -q --trace "$WORK/raft.jsonl" 2>/dev/null
expect_exit 0 "the undamaged raft trace checks" -- "$DSIM" check "$WORK/raft.jsonl"
role_line=$(grep -n '"kind":"role"' "$WORK/raft.jsonl" | head -1 | cut -d: -f1)
[ -n "$role_line" ] && pass || fail "no role event in the raft trace"
# A misspelled kind: `state` instead of `role`.
sed "${role_line}s/\"kind\":\"role\"/\"kind\":\"state\"/" "$WORK/raft.jsonl" >"$WORK/kind.jsonl"
expect_exit 3 "unknown event kind" -- "$DSIM" check "$WORK/kind.jsonl"
grep -q "kind.jsonl:$role_line:[0-9]*: error: unknown event kind \"state\" for protocol raft" "$WORK/err" && pass ||
  fail "unknown kind not located: $(cat "$WORK/err")"
# `term` as the string "1".
sed -E "${role_line}s/\"term\":([0-9]+)/\"term\":\"\\1\"/" "$WORK/raft.jsonl" >"$WORK/type.jsonl"
expect_exit 3 "term as a string" -- "$DSIM" check "$WORK/type.jsonl"
col=$(sed -n "${role_line}p" "$WORK/type.jsonl" | awk '{print index($0, "\"term\":") + 7}')
grep -q "type.jsonl:$role_line:$col: error: \"term\" of event \"role\" must be an integer, found a string" "$WORK/err" && pass ||
  fail "wrong type not located at $role_line:$col: $(cat "$WORK/err")"
# A missing key.
sed -E "${role_line}s/,\"term\":[0-9]+//" "$WORK/raft.jsonl" >"$WORK/missing.jsonl"
expect_exit 3 "missing term" -- "$DSIM" check "$WORK/missing.jsonl"
grep -q "missing.jsonl:$role_line:[0-9]*: error: event \"role\" has no \"term\"" "$WORK/err" && pass ||
  fail "missing key not located: $(cat "$WORK/err")"
# A wrong type in an engine event (any protocol).
sed -E '0,/"kind":"send"/s/("kind":"send","msg":)([0-9]+)/\1true/' "$WORK/raft.jsonl" >"$WORK/send.jsonl"
expect_exit 3 "msg as a boolean" -- "$DSIM" check "$WORK/send.jsonl"
grep -q "send.jsonl:[0-9]*:[0-9]*: error: \"msg\" of event \"send\" must be an integer" "$WORK/err" && pass ||
  fail "engine event type not checked: $(cat "$WORK/err")"
# Cut off: no end line. Incomplete, never a pass.
head -n -1 "$WORK/raft.jsonl" >"$WORK/cut.jsonl"
lines=$(wc -l <"$WORK/cut.jsonl")
expect_exit 3 "trace without its end line" -- "$DSIM" check "$WORK/cut.jsonl"
grep -q "cut.jsonl:$((lines + 1)):1: error: incomplete trace (no end event)" "$WORK/err" && pass ||
  fail "no 'incomplete trace': $(cat "$WORK/err")"
grep -q "^outcome:" "$WORK/err" && fail "an incomplete trace got an outcome" || pass
# Something after the end.
{ cat "$WORK/raft.jsonl"; tail -1 "$WORK/raft.jsonl"; } >"$WORK/after.jsonl"
expect_exit 3 "an event after the end" -- "$DSIM" check "$WORK/after.jsonl"

# --- The doc's tables are the code's ----------------------------------------
"$DSIM" schema --trace >"$WORK/schema.md"
expect_exit 0 "dsim schema --trace" -- "$DSIM" schema --trace
sed -n '/^<!-- BEGIN GENERATED: dsim schema --trace -->$/,/^<!-- END GENERATED -->$/p' docs/trace-schema.md |
  sed '1d;$d' >"$WORK/doc.md"
if diff -u "$WORK/doc.md" "$WORK/schema.md" >"$WORK/doc.diff"; then pass; else
  fail "docs/trace-schema.md disagrees with 'dsim schema --trace' (regenerate it): $(head -30 "$WORK/doc.diff")"
fi

# --- Every catalogue trace validates and judges as its run -----------------
for f in scenarios/teaching/*.yaml scenarios/regression/*.yaml scenarios/bugs/*.yaml scenarios/lb/lb-crash-return.yaml; do
  base=$(basename "$f" .yaml)
  "$DSIM" run "$f" -q --trace "$WORK/cat-$base.jsonl" >/dev/null 2>"$WORK/run.err"
  run_code=$?
  "$DSIM" check "$WORK/cat-$base.jsonl" -q >/dev/null 2>"$WORK/check.err"
  check_code=$?
  if [ "$check_code" -eq 3 ]; then fail "$f: its trace does not validate: $(head -3 "$WORK/check.err")"
  elif [ "$check_code" -ne "$run_code" ]; then fail "$f: run exit $run_code, check exit $check_code: $(head -3 "$WORK/check.err")"
  else pass; fi
  rm -f "$WORK/cat-$base.jsonl"
done

# --- checks: [] is nothing to check (exit 4), in run and sweep --------------
expect_exit 4 "run with checks: []" -- "$DSIM" run scenarios/lb/lb-crash-return.yaml
grep -q "nothing to check" "$WORK/err" && pass || fail "no 'nothing to check': $(cat "$WORK/err")"
expect_exit 4 "sweep with checks: []" -- "$DSIM" sweep scenarios/lb/lb-crash-return.yaml --seeds 1..2 --junit "$WORK/none.xml"
[ -e "$WORK/none.xml" ] && fail "a JUnit report was written for a sweep that checks nothing" || pass

# --- One identity however the path is spelled -------------------------------
hash_of() { "$@" 2>&1 >/dev/null | sed -n 's/^trace: .* sha256 \([0-9a-f]*\)$/\1/p'; }
h1=$(hash_of "$DSIM" run "$LOSSY" --seed 3 --fingerprint)
h2=$(hash_of "$DSIM" run "./$LOSSY" --seed 3 --fingerprint)
h3=$(hash_of "$DSIM" run "$SRC/$LOSSY" --seed 3 --fingerprint)
h4=$(hash_of "$DSIM" run "scenarios/../scenarios/teaching/broadcast-lossy.yaml" --seed 3 --fingerprint)
h5=$(cd scenarios/teaching && hash_of "$DSIM" run ./broadcast-lossy.yaml --seed 3 --fingerprint)
[ -n "$h1" ] && [ "$h1" = "$h2" ] && [ "$h1" = "$h3" ] && [ "$h1" = "$h4" ] && pass ||
  fail "trace hash depends on the path's spelling: $h1 $h2 $h3 $h4"
[ -n "$h5" ] && pass || fail "no hash from a run in the scenario's directory"
"$DSIM" run "./$LOSSY" --seed 3 --trace "$WORK/dot.jsonl" -q 2>/dev/null
head -1 "$WORK/dot.jsonl" | grep -q "\"scenario\":\"$LOSSY\"" && pass || fail "header scenario not canonical: $(head -c 200 "$WORK/dot.jsonl")"
# --resume recognises the runs of another spelling.
"$DSIM" sweep "./$LOSSY" --seeds 1..2 --results "$WORK/r.jsonl" -q 2>/dev/null
expect_exit 0 "resume with another spelling" -- "$DSIM" sweep "$SRC/$LOSSY" --seeds 1..4 --results "$WORK/r.jsonl" --resume
grep -q "^sweep: 4 runs (2 resumed)" "$WORK/err" && pass || fail "resume missed the other spelling: $(grep '^sweep:' "$WORK/err")"

# --- expect.seeds: some ------------------------------------------------------
NEMESIS=scenarios/bugs/raft-commit-previous-term-nemesis.yaml
grep -q '^  seeds: some$' "$NEMESIS" && pass || fail "$NEMESIS does not say seeds: some"
# 50 seeds around one that finds it (876): the others hold, the sweep passes.
expect_exit 0 "some seeds find the planted bug" -- "$DSIM" sweep "$NEMESIS" --seeds 850..899 --junit "$WORK/some.xml"
grep -q "found by seeds: .*876" "$WORK/err" && pass || fail "the finding seeds are not reported: $(cat "$WORK/err")"
python3 - "$WORK/some.xml" <<'PY' && pass || fail "JUnit of a seeds: some sweep"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert int(root.get("tests")) == 2 and int(root.get("failures")) == 0, root.attrib
for case in root.iter("testcase"):
    assert "876" in case.find("system-out").text, case.find("system-out").text
PY
# No seed finds it: exit 1, and a JUnit failure.
expect_exit 1 "no seed finds the planted bug" -- "$DSIM" sweep "$NEMESIS" --seeds 1..3 --junit "$WORK/none-found.xml"
grep -q "NOT FOUND" "$WORK/err" && pass || fail "a bug no seed found is not reported: $(cat "$WORK/err")"
python3 - "$WORK/none-found.xml" <<'PY' && pass || fail "JUnit of a sweep that found nothing"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert int(root.get("failures")) == 2, root.attrib
assert all(f.get("type") == "ExpectedViolationMissing" for f in root.iter("failure"))
PY
# A seed that violates a check not expected is still a failure.
python3 - "$NEMESIS" "$WORK/some-other.yaml" <<'PY'
import sys
text = open(sys.argv[1]).read()
head = text[:text.index("checks:")]
open(sys.argv[2], "w").write(head + "checks: [state_machine_safety, leader_completeness, election_safety]\n"
                             "expect: {violated: [election_safety], seeds: some}\n")
PY
expect_exit 1 "seeds: some, and a seed violates a check not expected" -- "$DSIM" sweep "$WORK/some-other.yaml" --seeds 876..876
printf 'version: 1\nname: s\nprotocol: broadcast\nnodes: 3\nduration: 1s\nchecks: [no_duplicate_delivery]\nexpect: {seeds: most}\n' >"$WORK/bad-some.yaml"
expect_exit 3 "expect.seeds: most" -- "$DSIM" run "$WORK/bad-some.yaml"
grep -q "bad-some.yaml:7:17: error: 'expect.seeds' must be 'all'" "$WORK/err" && pass || fail "expect.seeds not located: $(cat "$WORK/err")"

finish
