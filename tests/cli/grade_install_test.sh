#!/usr/bin/env bash
# The labs as a student gets them: install this build into a temporary
# prefix, build labs/raft and labs/paxos (copies outside the source tree,
# find_package(dsim) only, -Werror) and grade them with the commands their
# READMEs give. The untouched skeletons score 0 on every test (a node that
# does nothing passes nothing); the skeletons completed with the test-only
# solutions in tests/grade score 100, judged by the reference's checkers;
# batch grading of the two builds (as submission folders) writes both
# scores to one CSV.
# Usage: grade_install_test.sh BUILD_DIR SOURCE_DIR
set -u
BUILD=$(cd "$1" && pwd)
set -- "$BUILD/dsim" "$2"
source "$(dirname "$0")/lib.sh"
SRC=$(pwd)
PREFIX=$WORK/prefix
expect_exit 0 "cmake --install" -- cmake --install "$BUILD" --prefix "$PREFIX"

build_lab() {  # build_lab LAB DIR: configure and build a copy of labs/LAB in DIR
  cp -r "$SRC/labs/$1" "$2"
  expect_exit 0 "configure $2" -- cmake -S "$2" -B "$2/build" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS=-Werror
  expect_exit 0 "build $2" -- cmake --build "$2/build" -j2
}

for lab in raft paxos; do
  exe=build/$lab-lab
  # ---- The untouched skeleton: 0 on every test.
  build_lab $lab "$WORK/$lab-skeleton"
  if [ ! -x "$WORK/$lab-skeleton/$exe" ]; then
    fail "$lab: the skeleton did not build"
    continue
  fi
  (cd "$WORK/$lab-skeleton" && "./$exe" grade battery.yaml --protocol $lab-lab --results results.json --jobs 2 \
     >"$WORK/out" 2>"$WORK/err")
  code=$?
  [ $code -eq 1 ] && pass || fail "$lab skeleton: grade exit $code, want 1: $(cat "$WORK/err")"
  grep -q "^total  *0/100$" "$WORK/out" && pass || fail "$lab skeleton: $(tail -1 "$WORK/out")"
  python3 - "$WORK/$lab-skeleton/results.json" <<'PY' && pass || fail "$lab skeleton: some test scored points"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["score"] == 0 and r["tests"] and all(t["score"] == 0 for t in r["tests"]) else 1)
PY
  python3 "$SRC/tests/grade/check_gradescope.py" "$WORK/$lab-skeleton/results.json" && pass || fail "$lab skeleton: results.json format"
  # The skeleton does not contain the solution's algorithm.
  grep -q "TODO" "$WORK/$lab-skeleton/${lab}_lab.cc" && pass || fail "$lab skeleton: no TODO left in ${lab}_lab.cc"

  # ---- The skeleton completed: 100, the same as the reference.
  build_lab $lab "$WORK/$lab-solved"
  cp "$SRC/tests/grade/$lab-lab-solution/"* "$WORK/$lab-solved/"
  expect_exit 0 "$lab: build the completed lab" -- cmake --build "$WORK/$lab-solved/build" -j2
  (cd "$WORK/$lab-solved" && "./$exe" grade battery.yaml --protocol $lab-lab --jobs 2 >"$WORK/out" 2>"$WORK/err")
  code=$?
  [ $code -eq 0 ] && pass || fail "$lab solved: grade exit $code, want 0: $(cat "$WORK/out" "$WORK/err")"
  grep -q "^total  *100/100$" "$WORK/out" && pass || fail "$lab solved: $(tail -1 "$WORK/out")"

  # ---- A helper catching the student's node breaking a rule: a located
  # node failure, that test failed with the reason, never dsim's internal error.
  if [ $lab = raft ]; then
    build_lab $lab "$WORK/$lab-double-vote"
    cp "$SRC/tests/grade/$lab-lab-solution/"* "$WORK/$lab-double-vote/"
    # Grant every vote request of the current term, even after voting for another candidate.
    sed -i 's/(!voted_for_ || \*voted_for_ == from) \&\& up_to_date/up_to_date/; s/if (!voted_for_) vote_for(ctx, from);/vote_for(ctx, from);/' \
      "$WORK/$lab-double-vote/raft_lab.cc"
    grep -q "^    vote_for(ctx, from);" "$WORK/$lab-double-vote/raft_lab.cc" && pass || fail "double-vote: the planted edit did not apply"
    cmake --build "$WORK/$lab-double-vote/build" -j2 >/dev/null 2>&1
    (cd "$WORK/$lab-double-vote" && "./$exe" grade battery.yaml --protocol $lab-lab --jobs 2 --only churn \
       >"$WORK/out" 2>"$WORK/err")
    code=$?
    [ $code -eq 1 ] && pass || fail "double-vote: grade exit $code, want 1: $(cat "$WORK/out" "$WORK/err")"
    grep -q "node failure: n[0-9] at [0-9.]*m\?s: vote_for(n[0-9]) in term [0-9]*, which already has a vote for n[0-9]" "$WORK/out" &&
      pass || fail "double-vote: no located node failure in the table: $(cat "$WORK/out")"
    grep -q "internal error" "$WORK/out" "$WORK/err" && fail "double-vote: reported as a dsim internal error" || pass
    # The artifacts replay the student's node, and every printed command names the lab's program.
    (cd "$WORK/$lab-double-vote" && "./$exe" grade battery.yaml --protocol $lab-lab --jobs 2 --only churn --out dv-out \
       >"$WORK/out" 2>"$WORK/err")
    y=$(ls "$WORK/$lab-double-vote"/dv-out/churn/seed-*.yaml 2>/dev/null | grep -v shrunk | head -1)
    [ -n "$y" ] && pass || fail "double-vote: --out wrote no scenario: $(cat "$WORK/out")"
    grep -q '"repro":"./'"$exe"' run dv-out/churn/seed-' "$WORK/$lab-double-vote"/dv-out/churn/seed-*.html &&
      pass || fail "double-vote: the report's reproduce line does not replay the student's run"
    seed=$(basename "$y" .yaml | sed 's/seed-//')
    (cd "$WORK/$lab-double-vote" && "./$exe" run "dv-out/churn/seed-$seed.yaml" --seed "$seed" >"$WORK/out" 2>"$WORK/err")
    code=$?
    [ $code -eq 1 ] && grep -q "^node failure: " "$WORK/err" && pass || fail "double-vote: replay exit $code: $(cat "$WORK/err")"
    grep -q "^reproduce: ./$exe run dv-out/churn/seed-$seed.yaml --seed $seed$" "$WORK/err" && pass ||
      fail "double-vote: the replay's reproduce line does not name the lab's program: $(grep reproduce "$WORK/err")"
  fi

  # ---- Batch: both builds as submission folders, one CSV.
  (cd "$WORK/$lab-skeleton" && "./$exe" grade battery.yaml --protocol $lab-lab --batch "$WORK/$lab-skeleton" \
     "$WORK/$lab-solved" --csv "$WORK/$lab.csv" --jobs 2 --timeout 120 >"$WORK/out" 2>"$WORK/err")
  code=$?
  [ $code -eq 0 ] && pass || fail "$lab batch: exit $code: $(cat "$WORK/err")"
  python3 - "$WORK/$lab.csv" <<'PY' && pass || fail "$lab batch: $(cat "$WORK/$lab.csv")"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
sys.exit(0 if [(r["total"], r["max"], r["notes"]) for r in rows] == [("0", "100", ""), ("100", "100", "")] else 1)
PY
done
finish
