#!/usr/bin/env bash
# End-to-end checks of the dsim executable, as a user or CI drives it:
# determinism across processes, exit codes, --json, bad inputs (file:line:col,
# exit 3, no output file), offline `dsim check` agreeing with the run.
# Usage: cli_test.sh PATH/TO/dsim SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh"

LOSSY=scenarios/teaching/broadcast-lossy.yaml
BUG=scenarios/bugs/broadcast-no-retransmit.yaml

# --- Determinism across processes -------------------------------------------
expect_exit 0 "run seed 7 (a)" -- "$DSIM" run "$LOSSY" --seed 7 --trace "$WORK/a.jsonl"
expect_exit 0 "run seed 7 (b)" -- "$DSIM" run "$LOSSY" --seed 7 --trace "$WORK/b.jsonl"
expect_exit 0 "run seed 8" -- "$DSIM" run "$LOSSY" --seed 8 --trace "$WORK/c.jsonl"
if cmp -s "$WORK/a.jsonl" "$WORK/b.jsonl"; then pass; else fail "same seed gave different trace bytes"; fi
if cmp -s "$WORK/a.jsonl" "$WORK/c.jsonl"; then fail "seeds 7 and 8 gave the same trace"; else pass; fi
[ -f "$WORK/a.jsonl.partial" ] && fail "a .partial file was left behind" || pass
grep -q "reproduce: dsim run $LOSSY --seed 7" "$WORK/err" && fail "repro line missing seed 8" || true
"$DSIM" run "$LOSSY" --seed 7 2>"$WORK/err" >/dev/null
grep -q "^reproduce: dsim run $LOSSY --seed 7\$" "$WORK/err" && pass || fail "no one-line reproduction command"
# A commit hash is a seed too (its first 16 hex digits).
expect_exit 0 "commit-hash seed" -- "$DSIM" run "$LOSSY" --seed d6b7b39aa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5
grep -q -- "--seed 15472032521556968147" "$WORK/err" && pass || fail "commit-hash seed not reduced to its u64"

# --- The planted bug: expected violation -> 0; expectation removed -> 1 -----
expect_exit 0 "planted bug with expectation" -- "$DSIM" run "$BUG" --json "$WORK/bug.json" --fingerprint
python3 - "$WORK/bug.json" <<'PY' && pass || fail "--json of the planted bug"
import json, sys
d = json.load(open(sys.argv[1]))
checks = {c["name"]: c for c in d["checks"]}
assert d["schema"] == "dsim.run/1"
assert isinstance(d["seed"], str)
assert checks["all_delivered"]["status"] == "violated", checks
assert checks["all_delivered"]["kind"] == "liveness"
v = checks["all_delivered"]["violation"]
assert v["node"] and v["message"] and v["time_ns"] > 0
assert checks["no_duplicate_delivery"]["status"] == "held"
assert d["outcome"] == "as_expected" and d["exit_code"] == 0
assert d["expected"]["violated"] == ["all_delivered"]
assert d["repro"][:3] == ["dsim", "run", "scenarios/bugs/broadcast-no-retransmit.yaml"]
assert len(d["trace"]["sha256"]) == 64
for k in ("sent", "delivered", "dropped", "duplicated"):
    assert k in d["messages"]
PY
sed '/^expect:/,$d' "$BUG" >"$WORK/bug-unexpected.yaml"
expect_exit 1 "planted bug without expectation" -- "$DSIM" run "$WORK/bug-unexpected.yaml"
grep -q "^reproduce: " "$WORK/err" && pass || fail "failing run prints no reproduction line"
# Without --trace or --fingerprint the trace is not formatted: no hash.
"$DSIM" run "$BUG" --json - 2>"$WORK/err" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["trace"]["sha256"] is None, d["trace"]' \
  && pass || fail "a run without --trace or --fingerprint reported a trace hash"
grep -q "^trace: (not written; --trace FILE or --fingerprint" "$WORK/err" && pass || fail "no hint how to get the trace hash: $(grep '^trace' "$WORK/err")"
# --json - writes the document alone on stdout.
"$DSIM" run "$LOSSY" --json - 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["outcome"]=="as_expected"' \
  && pass || fail "--json - is not one JSON document on stdout"
# An expected violation that does not happen is a failure too.
sed 's/^expect:.*//; s/^  violated: \[all_delivered\]//' "$BUG" | sed 's/  bug: no_retransmit//' >"$WORK/fixed.yaml"
printf 'expect:\n  violated: [all_delivered]\n' >>"$WORK/fixed.yaml"
expect_exit 1 "expected violation that did not happen" -- "$DSIM" run "$WORK/fixed.yaml"

# --- Offline check agrees with the online run --------------------------------
"$DSIM" run "$BUG" --seed 11 --trace "$WORK/bug.jsonl" --json "$WORK/online.json" 2>/dev/null
expect_exit 0 "check the planted-bug trace" -- "$DSIM" check "$WORK/bug.jsonl" --json "$WORK/offline.json"
python3 - "$WORK/online.json" "$WORK/offline.json" <<'PY' && pass || fail "offline check differs from the online run"
import json, sys
on, off = (json.load(open(p)) for p in sys.argv[1:3])
assert on["checks"] == off["checks"], (on["checks"], off["checks"])
assert on["outcome"] == off["outcome"]
PY
expect_exit 0 "check a correct trace" -- "$DSIM" check "$WORK/a.jsonl"
# --checks narrows the set; the header's expectation narrows with it, so the
# planted-bug trace judged only for duplicates (which hold) is as expected...
expect_exit 0 "check a subset that holds" -- "$DSIM" check "$WORK/bug.jsonl" --checks no_duplicate_delivery
# ...and a correct trace judged by a check the header expected to fail is not.
sed '1s/"expect_violated":\[\]/"expect_violated":["all_delivered"]/' "$WORK/a.jsonl" >"$WORK/a-expect.jsonl"
expect_exit 1 "expected violation missing offline" -- "$DSIM" check "$WORK/a-expect.jsonl" --checks all_delivered

# --- Usage errors exit 2 ----------------------------------------------------
expect_exit 2 "unknown flag" -- "$DSIM" run "$LOSSY" --sed 7
expect_exit 2 "bad seed" -- "$DSIM" run "$LOSSY" --seed banana
expect_exit 2 "bad --until" -- "$DSIM" run "$LOSSY" --until 5
expect_exit 2 "unknown command" -- "$DSIM" frobnicate
expect_exit 2 "no arguments" -- "$DSIM"
expect_exit 2 "unknown check in --checks" -- "$DSIM" check "$WORK/a.jsonl" --checks nope
expect_exit 2 "bad --color" -- "$DSIM" run "$LOSSY" --color sometimes
expect_exit 0 "--version" -- "$DSIM" --version
grep -q '^dsim 0\.' "$WORK/out" && pass || fail "--version output"
expect_exit 0 "help run" -- "$DSIM" help run
grep -q "Exit codes" "$WORK/out" && pass || fail "help shows no exit codes"

# --- Bad scenarios exit 3 with file:line:col and leave no output file ------
for f in tests/testdata/bad-scenarios/*.yaml; do
  loc=$(head -1 "$f" | sed -n 's/^# expect: \([0-9]*:[0-9]*\):.*/\1/p')
  "$DSIM" run "$f" --trace "$WORK/never.jsonl" --json "$WORK/never.json" >/dev/null 2>"$WORK/err"
  code=$?
  if [ "$code" -ne 3 ]; then fail "$f: exit $code, want 3"; continue; fi
  if ! grep -q "^$f:$loc: error: " "$WORK/err"; then fail "$f: no '$f:$loc: error:' in: $(head -1 "$WORK/err")"; continue; fi
  if [ -e "$WORK/never.jsonl" ] || [ -e "$WORK/never.json" ] || [ -e "$WORK/never.jsonl.partial" ]; then
    fail "$f: an output file was written for an invalid scenario"; continue
  fi
  pass
done
expect_exit 3 "missing scenario file" -- "$DSIM" run "$WORK/does-not-exist.yaml"
# NO_COLOR is respected even with --color=auto on a non-TTY; --color=always forces it.
"$DSIM" run tests/testdata/bad-scenarios/unknown-key.yaml --color always 2>&1 | grep -q $'\x1b\[' && pass || fail "--color=always has no color"
NO_COLOR=1 "$DSIM" run tests/testdata/bad-scenarios/unknown-key.yaml 2>&1 | grep -q $'\x1b\[' && fail "color despite NO_COLOR" || pass

# In GitHub Actions, scenario errors are also workflow annotations on stdout.
GITHUB_ACTIONS=true "$DSIM" run tests/testdata/bad-scenarios/unknown-key.yaml >"$WORK/gh" 2>/dev/null
grep -q '^::error file=tests/testdata/bad-scenarios/unknown-key.yaml,line=6,col=1::unknown key' "$WORK/gh" && pass \
  || fail "no GitHub annotation: $(cat "$WORK/gh")"

# --- The event budget stops a run early, says so, and still judges it ------
sed 's/^duration: 10s/duration: 10s\nmax_events: 50/' "$LOSSY" >"$WORK/budget.yaml"
# Stopped that early, all_delivered has no bound expired: inconclusive, exit 5.
expect_exit 5 "run stopped by max_events" -- "$DSIM" run "$WORK/budget.yaml" --json "$WORK/budget.json"
grep -q "stopped at the event budget" "$WORK/err" && pass || fail "no note about the event budget"
grep -q "outcome: INCONCLUSIVE" "$WORK/err" && pass || fail "no inconclusive outcome"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["outcome"]=="inconclusive" and d["exit_code"]==5, d' \
  "$WORK/budget.json" && pass || fail "--json does not report the inconclusive outcome"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["budget_exhausted"] and d["events"]==50, d' \
  "$WORK/budget.json" && pass || fail "--json does not report the exhausted budget"

# --- SIGINT: exit 130, and no trace file that looks whole --------------------
"$DSIM" run scenarios/perf/broadcast-1000-nodes.yaml --trace "$WORK/big.jsonl" >/dev/null 2>"$WORK/err" &
pid=$!
sleep 0.4
kill -INT "$pid"
wait "$pid"
code=$?
if [ "$code" -eq 130 ]; then pass; else fail "SIGINT: exit $code, want 130"; fi
[ -e "$WORK/big.jsonl" ] && fail "an interrupted run left a trace file" || pass
[ -e "$WORK/big.jsonl.partial" ] && fail "an interrupted run left its .partial file" || pass

# --- The election-time experiment ------------------------------------------
expect_exit 0 "experiment election" -- "$DSIM" experiment election --trials 20 --csv "$WORK/e.csv"
[ "$(wc -l <"$WORK/e.csv")" -eq 6 ] && head -1 "$WORK/e.csv" | grep -q '^election_timeout_min_ms,election_timeout_max_ms,trials,no_leader,min_ms,p50_ms,p90_ms,p99_ms,max_ms$' \
  && pass || fail "experiment CSV: $(cat "$WORK/e.csv")"
"$DSIM" experiment election --trials 20 --csv "$WORK/e2.csv" 2>/dev/null >/dev/null
cmp -s "$WORK/e.csv" "$WORK/e2.csv" && pass || fail "experiment not reproducible"
expect_exit 2 "experiment with a bad range" -- "$DSIM" experiment election --ranges 300ms..150ms
expect_exit 2 "unknown experiment" -- "$DSIM" experiment partitions

# --- Bad traces exit 3 with file:line:col ------------------------------------
head -5 "$WORK/a.jsonl" >"$WORK/trunc.jsonl"
printf '{"t":1,"node":"n1","kind":' >>"$WORK/trunc.jsonl"
expect_exit 3 "truncated trace" -- "$DSIM" check "$WORK/trunc.jsonl"
grep -q "trunc.jsonl:6:" "$WORK/err" && pass || fail "truncated trace error has no line number: $(cat "$WORK/err")"
printf '{"t":0,"node":"*","kind":"meta","schema":"dsim.trace/7"}\n' >"$WORK/future.jsonl"
expect_exit 3 "future trace schema" -- "$DSIM" check "$WORK/future.jsonl"
printf '{"t":0,"node":"*","kind":"meta","schema":"dsim.trace/1"}\n{"t":0,"node":"*","kind":"end","events":0,"sent":0,"delivered":0,"dropped":0,"duplicated":0,"budget_exhausted":false}\n' >"$WORK/nochecks.jsonl"
expect_exit 4 "trace without checks" -- "$DSIM" check "$WORK/nochecks.jsonl"
expect_exit 3 "missing trace" -- "$DSIM" check "$WORK/nope.jsonl"

# --- dsim check on client histories (history-format.md) ----------------------
cat >"$WORK/h-ok.jsonl" <<'H'
{"process": 0, "type": "invoke", "f": "write", "key": "x", "value": 1, "time": 1000}
{"process": 1, "type": "invoke", "f": "read", "key": "x", "value": null, "time": 1200}
{"process": 0, "type": "ok", "f": "write", "key": "x", "value": 1, "time": 2100}
{"process": 2, "type": "invoke", "f": "cas", "key": "x", "value": [1, 2], "time": 2300}
{"process": 1, "type": "ok", "f": "read", "key": "x", "value": null, "time": 2400}
{"process": 0, "type": "invoke", "f": "write", "key": "y", "value": "a", "time": 2500}
{"process": 2, "type": "info", "f": "cas", "key": "x", "value": [1, 2], "time": 9000, "error": "timeout"}
{"process": 0, "type": "ok", "f": "write", "key": "y", "value": "a", "time": 9100}
H
expect_exit 0 "linearizable history" -- "$DSIM" check "$WORK/h-ok.jsonl" --json "$WORK/h-ok.json"
grep -q "^linearizable" "$WORK/err" && pass || fail "no linearizable verdict: $(cat "$WORK/err")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["linearizable"] is True and d["exit_code"] == 0, d' \
  "$WORK/h-ok.json" && pass || fail "history --json"
cat >"$WORK/h-bad.jsonl" <<'H'
{"process": 0, "type": "invoke", "f": "write", "key": "x", "value": 1, "time": 0}
{"process": 0, "type": "ok", "f": "write", "key": "x", "value": 1, "time": 10}
{"process": 0, "type": "invoke", "f": "write", "key": "x", "value": 2, "time": 20}
{"process": 0, "type": "ok", "f": "write", "key": "x", "value": 2, "time": 30}
{"process": 1, "type": "invoke", "f": "read", "key": "x", "value": null, "time": 40}
{"process": 1, "type": "ok", "f": "read", "key": "x", "value": 1, "time": 50}
H
expect_exit 1 "stale read history" -- "$DSIM" check "$WORK/h-bad.jsonl"
grep -q "NOT linearizable on key x" "$WORK/err" && grep -q "process 1 read 1" "$WORK/err" && pass \
  || fail "stale read witness: $(cat "$WORK/err")"
# 24 concurrent writes of repeated values, then two reads that no order explains: the search must try them all.
python3 - "$WORK/h-hard.jsonl" <<'PY'
import json, sys
lines = []
for p in range(24):
    lines.append({"process": p, "type": "invoke", "f": "write", "key": "x", "value": 1 + p % 2, "time": p})
for p in range(24):
    lines.append({"process": p, "type": "ok", "f": "write", "key": "x", "value": 1 + p % 2, "time": 1000})
for i, (v, t) in enumerate([(1, 2000), (2, 2200)]):
    lines.append({"process": 30, "type": "invoke", "f": "read", "key": "x", "value": None, "time": t})
    lines.append({"process": 30, "type": "ok", "f": "read", "key": "x", "value": v, "time": t + 100})
open(sys.argv[1], "w").write("".join(json.dumps(l) + "\n" for l in lines))
PY
expect_exit 5 "inconclusive history" -- "$DSIM" check "$WORK/h-hard.jsonl" --budget-steps 100000
grep -q "inconclusive on key x: the step budget" "$WORK/err" && pass || fail "inconclusive message: $(cat "$WORK/err")"
printf '{"process": 0, "type": "invoke", "f": "write", "key": "x", "value": 1, "time": 5}\n{"process": 0, "type": "ok", "f": "read", "key": "x", "value": 1, "time": 6}\n' >"$WORK/h-mismatch.jsonl"
expect_exit 3 "history with a mismatched completion" -- "$DSIM" check "$WORK/h-mismatch.jsonl"
grep -q "h-mismatch.jsonl:2:1: error: ok of read on 'x' closes a write" "$WORK/err" && pass || fail "history error: $(cat "$WORK/err")"
expect_exit 2 "--checks on a history" -- "$DSIM" check "$WORK/h-ok.jsonl" --checks linearizable
expect_exit 2 "--budget-time garbage" -- "$DSIM" check "$WORK/h-ok.jsonl" --budget-time soon
expect_exit 2 "--budget-steps on a trace" -- "$DSIM" check "$WORK/a.jsonl" --budget-steps 5

# --- dsim compare: the CAP table -------------------------------------------------
"$DSIM" compare scenarios/teaching/cap-cp.yaml scenarios/teaching/cap-ap-eventual.yaml --csv "$WORK/cap.csv" >"$WORK/cap.txt" 2>"$WORK/err"
[ $? -eq 0 ] && pass || fail "dsim compare exit: $(cat "$WORK/err")"
grep -q "^cap-cp  *whole run" "$WORK/cap.txt" && grep -q "partitioned: n1,n2" "$WORK/cap.txt" && pass || fail "compare table: $(cat "$WORK/cap.txt")"
head -1 "$WORK/cap.csv" | grep -q '^configuration,side,attempted,ok,fail,unknown,availability_pct,p50_ms,p99_ms,linearizable,stale_reads,reads_ok,lost_writes,ryw_violations,monotonic_violations$' \
  && [ "$(wc -l <"$WORK/cap.csv")" -eq 7 ] && pass || fail "compare CSV: $(cat "$WORK/cap.csv")"
grep -q '^cap-cp,"partitioned: n1,n2",[0-9]*,0,' "$WORK/cap.csv" && pass || fail "CP minority should have no ok ops: $(cat "$WORK/cap.csv")"
expect_exit 4 "compare a scenario without clients" -- "$DSIM" compare "$LOSSY"

finish
