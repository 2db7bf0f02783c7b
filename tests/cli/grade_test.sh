#!/usr/bin/env bash
# dsim grade is honest: the reference scores full points on every test and
# seed of both labs; two runs (and any --jobs) write byte-identical
# tables, results.json and JUnit; results.json follows Gradescope's format;
# hidden tests keep their details out of every output; each planted bug
# loses exactly the tests tests/grade/*-bugs.txt lists; batch grading
# survives submissions that crash, hang or are missing; --out writes a
# scenario, trace, report and shrunk scenario that reproduce the failure;
# bad batteries and flags are refused with their exit codes.
# Usage: grade_test.sh DSIM SOURCE_DIR [quick]   (quick: without the bug tables)
set -u
QUICK=${3:-}
source "$(dirname "$0")/lib.sh"
RAFT=labs/raft/battery.yaml
PAXOS=labs/paxos/battery.yaml
CHECK="python3 tests/grade/check_gradescope.py"

# ---- The reference scores 100 on every test and seed; deterministic bytes.
for b in $RAFT $PAXOS; do
  n=$(basename "$(dirname "$b")")
  expect_exit 0 "$n: the reference scores full points" -- "$DSIM" grade "$b" --jobs 2 --results "$WORK/$n-1.json" --junit "$WORK/$n-1.xml"
  cp "$WORK/out" "$WORK/$n-1.txt"
  grep -q "^total  *100/100$" "$WORK/$n-1.txt" && pass || fail "$n: the table's total is not 100/100: $(tail -1 "$WORK/$n-1.txt")"
  python3 - "$WORK/$n-1.json" <<'PY' && pass || fail "$n: the reference lost points in results.json"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["score"] == 100 and all(t["score"] == t["max_score"] and t["status"] == "passed" for t in r["tests"]) else 1)
PY
  $CHECK "$WORK/$n-1.json" && pass || fail "$n: results.json does not follow Gradescope's format"
  xmllint --noout "$WORK/$n-1.xml" 2>"$WORK/err" && pass || fail "$n: JUnit is not XML: $(cat "$WORK/err")"
  expect_exit 0 "$n: a second run, on one thread" -- "$DSIM" grade "$b" --jobs 1 --results "$WORK/$n-2.json" --junit "$WORK/$n-2.xml"
  cp "$WORK/out" "$WORK/$n-2.txt"
  for ext in json xml txt; do
    cmp -s "$WORK/$n-1.$ext" "$WORK/$n-2.$ext" && pass || fail "$n: two runs wrote different $ext"
  done
done

# ---- Planted bugs lose exactly the tests of the table.
check_bugs() {  # check_bugs BATTERY TABLE PROTOCOL
  local battery=$1 table=$2 protocol=$3
  local listed
  listed=$("$DSIM" protocols | awk -v p="$protocol" '$1 == p {getline; while ($0 ~ /^  /) {if ($0 ~ /planted bugs:/) {sub(/.*planted bugs: /, ""); print}; if (!getline) break}}' |
           tr ',' '\n' | tr -d ' ' | grep -v '^none$' | sort)
  [ -n "$listed" ] && pass || fail "$protocol: dsim protocols lists no planted bug"
  local rows
  rows=$(grep -v '^#' "$table" | awk 'NF {print $1}' | sort)
  [ "$listed" = "$rows" ] && pass || fail "$table: rows ($(echo $rows)) are not $protocol's planted bugs ($(echo $listed))"
  while read -r bug tests; do
    case $bug in ''|'#'*) continue ;; esac
    local want
    want=$(echo "$tests" | tr ' ' '\n' | grep -v '^-$' | grep -v '^$' | sort | tr '\n' ' ')
    "$DSIM" grade "$battery" --jobs 2 --with "bug=$bug" --reveal --results "$WORK/bug.json" >/dev/null 2>"$WORK/err"
    local got
    got=$(python3 -c 'import json,sys; print(" ".join(sorted(t["name"] for t in json.load(open(sys.argv[1]))["tests"] if t["score"] < t["max_score"])))' "$WORK/bug.json")
    [ "$(echo $want)" = "$got" ] && pass || fail "$protocol bug $bug lost [$got], the table says [$(echo $want)]"
  done < "$table"
}
if [ "$QUICK" != quick ]; then
  check_bugs $RAFT tests/grade/raft-bugs.txt raft
  check_bugs $PAXOS tests/grade/paxos-bugs.txt paxos
fi

# ---- Hidden tests: vote_any_log fails the hidden churn_unreliable and the
# after-due-date figure8_unreliable. Their details stay out of results.json,
# the table and JUnit; --reveal shows them (so this test sees the difference).
expect_exit 1 "a failing hidden test" -- "$DSIM" grade $RAFT --jobs 2 --with bug=vote_any_log --results "$WORK/h.json" --junit "$WORK/h.xml"
cp "$WORK/out" "$WORK/h.txt"
$CHECK "$WORK/h.json" && pass || fail "results.json with hidden tests does not follow Gradescope's format"
python3 - "$WORK/h.json" <<'PY' && pass || fail "a hidden test's details leak into results.json"
import json, sys
r = json.load(open(sys.argv[1]))
tests = {t["name"]: t for t in r["tests"]}
bad = []
for name, vis in (("churn_unreliable", "hidden"), ("figure8_unreliable", "after_due_date")):
    t = tests[name]
    if t["visibility"] != vis or t["score"] != 0:
        bad.append(name + ": visibility/score")
    for word in ("seed", "reproduce", "yaml", "violated", "election_safety", "log_matching", "liveness", "nemesis"):
        if word in t["output"]:
            bad.append(name + ": output mentions " + word)
# A visible failing test does show its details.
if "reproduce" not in tests["churn"]["output"] or "seed" not in tests["churn"]["output"]:
    bad.append("churn (visible) has no details")
if bad:
    print(bad, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
for f in h.txt h.xml; do
  grep -E "churn_unreliable|figure8_unreliable" "$WORK/$f" | grep -qiE "seed [0-9]|reproduce|yaml" &&
    fail "$f shows a hidden test's details" || pass
done
grep -q "only churn_unreliable\|only figure8_unreliable" "$WORK/h.txt" && fail "the table gives a hidden test's reproduce line" || pass
expect_exit 1 "the same with --reveal" -- "$DSIM" grade $RAFT --jobs 2 --with bug=vote_any_log --reveal --results "$WORK/r.json"
python3 -c 'import json,sys; t={t["name"]: t for t in json.load(open(sys.argv[1]))["tests"]}; sys.exit(0 if "reproduce" in t["churn_unreliable"]["output"] else 1)' "$WORK/r.json" &&
  pass || fail "--reveal does not show the hidden test's details"

# ---- --out: the first failing seed's scenario, trace, report and shrunk scenario.
expect_exit 1 "grade with --out" -- "$DSIM" grade $RAFT --with bug=slow_backtrack --only backup --out "$WORK/o"
seed=$(grep -o 'seed [0-9]*:' "$WORK/out" | head -1 | tr -dc 0-9)
[ -n "$seed" ] && pass || fail "the table names no failing seed: $(cat "$WORK/out")"
for f in seed-$seed.yaml seed-$seed.jsonl seed-$seed.html seed-$seed-shrunk.yaml; do
  [ -s "$WORK/o/backup/$f" ] && pass || fail "--out wrote no backup/$f"
done
grep -q "reproduce: dsim grade $RAFT --with bug=slow_backtrack --only backup --seed $seed" "$WORK/out" && pass ||
  fail "no reproduce line in the table: $(cat "$WORK/out")"
expect_exit 1 "the written scenario replays the failure" -- "$DSIM" run "$WORK/o/backup/seed-$seed.yaml" --seed "$seed"
grep -q "violated *raft_catch_up" "$WORK/out" "$WORK/err" && pass || fail "the replay does not violate raft_catch_up"
expect_exit 1 "the shrunk scenario still fails" -- "$DSIM" run "$WORK/o/backup/seed-$seed-shrunk.yaml"
expect_exit 1 "the reproduce line replays the failure" -- "$DSIM" grade $RAFT --with bug=slow_backtrack --only backup --seed "$seed"
grep -q "^backup  *0/8  *0/1 " "$WORK/out" && pass || fail "the reproduce line does not fail: $(cat "$WORK/out")"

# ---- Batch: submissions that pass, crash, hang, or are missing.
mkdir -p "$WORK/subs/good" "$WORK/subs/crash" "$WORK/subs/hang" "$WORK/subs/empty"
ln -s "$DSIM" "$WORK/subs/good/lab"
printf '#!/bin/sh\nkill -SEGV $$\n' > "$WORK/subs/crash/lab"
printf '#!/bin/sh\nexec sleep 600\n' > "$WORK/subs/hang/lab"
chmod +x "$WORK/subs/crash/lab" "$WORK/subs/hang/lab"
expect_exit 0 "batch grading" -- "$DSIM" grade $PAXOS --batch "$WORK/subs/good" "$WORK/subs/crash" "$WORK/subs/hang" \
  "$WORK/subs/empty" --exe lab --csv "$WORK/grades.csv" --timeout 3 --jobs 2 --only one_proposer --only nemesis
python3 - "$WORK/grades.csv" "$WORK/subs" <<'PY' && pass || fail "grades.csv: $(cat "$WORK/grades.csv")"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
by = {r["submission"].rsplit("/", 1)[-1]: r for r in rows}
ok = (list(rows[0].keys()) == ["submission", "one_proposer", "nemesis", "total", "max", "notes"]
      and [r["submission"].rsplit("/", 1)[-1] for r in rows] == ["good", "crash", "hang", "empty"]
      and by["good"]["total"] == "35" and by["good"]["notes"] == ""
      and by["crash"]["total"] == "0" and "crashed (signal 11)" in by["crash"]["notes"]
      and by["hang"]["total"] == "0" and "timed out after 3s" in by["hang"]["notes"]
      and by["empty"]["total"] == "0" and "no executable" in by["empty"]["notes"]
      and all(r["max"] == "35" for r in rows))
sys.exit(0 if ok else 1)
PY

# One submission in child processes, for Gradescope: a crash still yields a
# results.json with every test (0 points and the reason).
expect_exit 0 "batch --results, a crashing submission" -- "$DSIM" grade $PAXOS --batch "$WORK/subs/crash/lab" \
  --results "$WORK/crash.json" --timeout 3 --only one_proposer --only nemesis
$CHECK "$WORK/crash.json" && pass || fail "batch results.json does not follow Gradescope's format"
python3 - "$WORK/crash.json" <<'PY' && pass || fail "batch results.json: $(cat "$WORK/crash.json")"
import json, sys
r = json.load(open(sys.argv[1]))
t = r["tests"]
sys.exit(0 if r["score"] == 0 and [x["name"] for x in t] == ["one_proposer", "nemesis"]
         and "crashed (signal 11)" in t[0]["output"] and "crashed" not in t[1]["output"]
         and t[1]["visibility"] == "after_due_date" else 1)
PY
expect_exit 0 "batch --results, a passing submission" -- "$DSIM" grade $PAXOS --batch "$WORK/subs/good/lab" \
  --results "$WORK/good.json" --only one_proposer --only nemesis
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["score"] == 35 and [t["number"] for t in r["tests"]] == ["1", "2"] else 1)' "$WORK/good.json" &&
  pass || fail "batch results.json of a passing submission: $(cat "$WORK/good.json")"
expect_exit 2 "batch --results with two submissions" -- "$DSIM" grade $PAXOS --batch "$WORK/subs/good/lab" "$WORK/subs/crash/lab" --results x.json
expect_exit 2 "--junit with --batch" -- "$DSIM" grade $PAXOS --batch "$WORK/subs/good/lab" --csv x.csv --junit x.xml

# ---- Errors.
printf 'version: 1\nname: b\nprotocol: raft\ntests:\n  - {name: t, scenario: x.yaml, points: 1, checks: [a], wieght: 2}\n' > "$WORK/bad.yaml"
expect_exit 3 "an unknown key in a battery" -- "$DSIM" grade "$WORK/bad.yaml"
grep -q "bad.yaml:5:.*unknown key 'wieght'" "$WORK/err" && pass || fail "no file:line:col for the unknown key: $(cat "$WORK/err")"
cp labs/raft/tests/raft-initial-election.yaml "$WORK/s.yaml"
printf 'version: 1\nname: b\nprotocol: raft\ntests:\n  - {name: t, scenario: s.yaml, points: 1, checks: [election_safety]}\n' > "$WORK/nolive.yaml"
expect_exit 3 "a test that grades no liveness check" -- "$DSIM" grade "$WORK/nolive.yaml"
grep -q "grades no liveness check" "$WORK/err" && pass || fail "no reason for the missing liveness check: $(cat "$WORK/err")"
printf 'version: 1\nname: b\nprotocol: raft\ntests:\n  - {name: t, scenario: s.yaml, points: 1, checks: [raft_catch_up]}\n' > "$WORK/nocheck.yaml"
expect_exit 3 "a test that grades a check its scenario lacks" -- "$DSIM" grade "$WORK/nocheck.yaml"
expect_exit 2 "an unknown test" -- "$DSIM" grade $RAFT --only nope
expect_exit 2 "an unknown protocol" -- "$DSIM" grade $RAFT --protocol nope
expect_exit 2 "--with without =" -- "$DSIM" grade $RAFT --with bug
expect_exit 2 "--csv without --batch" -- "$DSIM" grade $RAFT --csv x.csv
# Substitution keeps the scenario's own lines and columns: multipaxos has no
# max_batch, and the error points at it in the battery's file.
expect_exit 1 "a protocol that refuses a key" -- "$DSIM" grade $RAFT --protocol multipaxos --only figure8 --results "$WORK/m.json"
line=$(grep -n '^  max_batch:' labs/raft/tests/raft-figure8.yaml | cut -d: -f1)
grep -q "raft-figure8.yaml:$line:3: error: unknown key 'max_batch'" "$WORK/m.json" && pass ||
  fail "the error does not point at raft-figure8.yaml:$line:3: $(head -c 600 "$WORK/m.json")"
# A protocol that refuses a section key scores 0 on that test, not a crash.
expect_exit 1 "a planted bug the protocol does not know" -- "$DSIM" grade $RAFT --only initial_election --with bug=nope
grep -q "initial_election  *0/8" "$WORK/out" && pass || fail "an unloadable scenario did not score 0: $(cat "$WORK/out")"
finish
