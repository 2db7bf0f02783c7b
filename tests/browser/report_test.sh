#!/usr/bin/env bash
# The HTML report in a real browser: headless Chromium (Debian's chromium,
# installed by scripts/setup.sh test) opens reports of a correct Raft run
# and of a planted-bug run with #selftest, which clicks the same buttons a
# person would and writes what it saw into the page. The test checks one
# lane per node, one arrow per message (counted independently from the
# trace), that stepping the cursor changes the node states, that the
# violation button moves the cursor to the violation and into view, and
# that the console shows no errors. Screenshots are left in ARTIFACTS.
# The teaching views are checked against the trace too: at a chosen cursor
# (the first log truncation, or just after a restart) every node's rendered
# log (index, term, command, committed, applied), commit index and applied
# index equal what the JSONL says; hovering a message's arrow and clicking
# its delivery in the event list show its contents as the send event
# traced them; stepping to the next/previous event of a chosen kind lands on
# that kind; the scenario's description is the narration; and a
# single-decree Paxos report shows each acceptor's promised and accepted
# ballot and value at the cursor as the trace has them; a Multi-Paxos
# report's log view (accepted, decided and applied slots) matches too, as
# does a Raft report's just after a snapshot install discarded a follower's
# suffix (tests/testdata/report-raft-install.yaml); and
# hostile log commands and message contents stay text. Once parsed, the
# data element is gone from the DOM, and the ready marker carries the time
# the page took (data-ms, for benchmarks: no timing is judged here).
# Usage: report_test.sh PATH/TO/dsim SOURCE_DIR ARTIFACTS_DIR
set -u
ART=$3
mkdir -p "$ART"
ART=$(cd "$ART" && pwd)
. "$(cd "$(dirname "$0")" && pwd)/../cli/lib.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  echo "FAIL: chromium is not installed (scripts/setup.sh test installs it)" >&2
  exit 1
fi
# The flags a closed network needs (no background fetches), and a fresh profile.
CHROME=("$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
        --disable-component-update --disable-sync --user-data-dir="$WORK/profile")

for sc in teaching/raft-leader-crash bugs/raft-commit-previous-term; do
  name=$(basename "$sc")
  "$DSIM" run "scenarios/$sc.yaml" --trace "$WORK/$name.jsonl" --report "$WORK/$name.html" -q
  [ -s "$WORK/$name.html" ] || { fail "$sc: no report"; continue; }
  # Self-contained: nothing to fetch.
  grep -E -q 'https?://|src="//|@import' "$WORK/$name.html" && fail "$sc: the report references the network" || pass
  # The cursor for the log view: the first truncation, else 100 ms after the first restart, else mid-run.
  t=$(python3 "$SRC/tests/browser/report_expect.py" cursor "$WORK/$name.jsonl")
  timeout 120 "${CHROME[@]}" --enable-logging=stderr --v=0 --virtual-time-budget=10000 \
    --dump-dom "file://$WORK/$name.html#selftest&t=$t&msg=append_entries&kind=commit" \
    >"$WORK/$name.dom" 2>"$WORK/$name.console"
  result=$(sed -n 's/.*<pre id="dsim-selftest"[^>]*>\([^<]*\)<\/pre>.*/\1/p' "$WORK/$name.dom")
  [ -n "$result" ] || { fail "$sc: the page did not run its self-test"; continue; }
  grep -q 'id="dsim-ready"' "$WORK/$name.dom" && pass || fail "$sc: page never became ready"
  # The data's text leaves the DOM once parsed (a large run's is 50-100 MB);
  # the ready marker says when the page was ready (ms since navigation).
  grep -q 'id="dsim-data"' "$WORK/$name.dom" && fail "$sc: the data element is still in the DOM" || pass
  grep -E -q 'id="dsim-ready"[^>]* data-ms="[0-9]+"' "$WORK/$name.dom" && pass || fail "$sc: the ready marker has no data-ms"
  python3 - "$result" "$WORK/$name.jsonl" "$sc" <<'PY' && pass || fail "$sc: self-test result wrong: $result"
import json, sys
r = json.loads(sys.argv[1])
lines = [json.loads(l) for l in open(sys.argv[2])]
meta = lines[0]
# One arrow per copy of each message: a send, plus a second copy when one
# message got two fates (delivered/dropped twice: a duplicate).
fates = {}
sends = 0
for e in lines[1:]:
    if e["kind"] == "send":
        sends += 1
    elif e["kind"] in ("deliver", "drop") and e.get("from") != "$ext" and "msg" in e:
        fates[e["msg"]] = fates.get(e["msg"], 0) + 1
expected = sends + sum(1 for n in fates.values() if n > 1)
assert r["errors"] == [], r["errors"]
assert r["lanes"] == len(meta["nodes"]), (r["lanes"], meta["nodes"])
assert r["arrows"] == expected == r["expectedArrows"], (r["arrows"], expected)
assert r["stateChanged"] and r["stepBack"]
if "bugs/" in sys.argv[3]:
    assert r["cursorAtViolation"] == r["violationT"] and r["violationVisible"], r
PY
  python3 "$SRC/tests/browser/report_expect.py" raft "$WORK/$name.jsonl" "$result" "$SRC/scenarios/$sc.yaml" \
    && pass || fail "$sc: the log view, message details, kind stepping or narration disagree with the trace"
  grep -E -q 'CONSOLE.*(Uncaught|Error|Refused)' "$WORK/$name.console" && fail "$sc: console errors: $(grep CONSOLE "$WORK/$name.console" | head -3)" || pass
  timeout 120 "${CHROME[@]}" --window-size=1400,900 --virtual-time-budget=5000 --screenshot="$ART/$name.png" "file://$WORK/$name.html" \
    >/dev/null 2>&1
  [ -s "$ART/$name.png" ] && pass || fail "$sc: no screenshot"
done

# Raft with snapshots: at a cursor just after an install_snapshot that
# discarded a suffix of a follower's log (report_expect.py finds it and
# fails when the run has none, or when the install rule changes no log
# there), every node's log view follows the install rule.
"$DSIM" run "$SRC/tests/testdata/report-raft-install.yaml" --trace "$WORK/install.jsonl" --report "$WORK/install.html" -q
if t=$(python3 "$SRC/tests/browser/report_expect.py" install-cursor "$WORK/install.jsonl"); then
  timeout 120 "${CHROME[@]}" --enable-logging=stderr --v=0 --virtual-time-budget=10000 \
    --dump-dom "file://$WORK/install.html#selftest&t=$t&msg=append_entries&kind=commit" >"$WORK/install.dom" 2>"$WORK/install.console"
  result=$(sed -n 's/.*<pre id="dsim-selftest"[^>]*>\([^<]*\)<\/pre>.*/\1/p' "$WORK/install.dom")
  python3 "$SRC/tests/browser/report_expect.py" raft-install "$WORK/install.jsonl" "$result" \
    "$SRC/tests/testdata/report-raft-install.yaml" \
    && pass || fail "raft snapshots: the log view disagrees with the trace after a snapshot install"
else
  fail "raft snapshots: the run has no install that discards a suffix"
fi

# Single-decree Paxos: the acceptors' state columns at a cursor after a restart.
"$DSIM" run scenarios/teaching/paxos-acceptor-restart.yaml --trace "$WORK/paxos.jsonl" --report "$WORK/paxos.html" -q
t=$(python3 "$SRC/tests/browser/report_expect.py" cursor "$WORK/paxos.jsonl")
timeout 120 "${CHROME[@]}" --enable-logging=stderr --v=0 --virtual-time-budget=10000 \
  --dump-dom "file://$WORK/paxos.html#selftest&t=$t&msg=accept&kind=accepted" >"$WORK/paxos.dom" 2>"$WORK/paxos.console"
result=$(sed -n 's/.*<pre id="dsim-selftest"[^>]*>\([^<]*\)<\/pre>.*/\1/p' "$WORK/paxos.dom")
python3 "$SRC/tests/browser/report_expect.py" paxos "$WORK/paxos.jsonl" "$result" "$SRC/scenarios/teaching/paxos-acceptor-restart.yaml" \
  && pass || fail "paxos: acceptor state or message details disagree with the trace: $result"

# Multi-Paxos: the same log view, from accepted, learned and apply events.
"$DSIM" run scenarios/teaching/multipaxos-leader-crash.yaml --trace "$WORK/mp.jsonl" --report "$WORK/mp.html" -q
t=$(python3 "$SRC/tests/browser/report_expect.py" cursor "$WORK/mp.jsonl")
timeout 120 "${CHROME[@]}" --enable-logging=stderr --v=0 --virtual-time-budget=10000 \
  --dump-dom "file://$WORK/mp.html#selftest&t=$t&msg=accept&kind=learned" >"$WORK/mp.dom" 2>"$WORK/mp.console"
result=$(sed -n 's/.*<pre id="dsim-selftest"[^>]*>\([^<]*\)<\/pre>.*/\1/p' "$WORK/mp.dom")
python3 "$SRC/tests/browser/report_expect.py" multipaxos "$WORK/mp.jsonl" "$result" "$SRC/scenarios/teaching/multipaxos-leader-crash.yaml" \
  && pass || fail "multipaxos: the log view or message details disagree with the trace"

# A trace whose node is named `n4' onmouseover='alert(1)' x='` (issue 15):
# the page must still run (its script is allowed by hash) and the name must
# stay text: an injected attribute would be serialized as onmouseover="...".
"$DSIM" run scenarios/bugs/raft-commit-previous-term.yaml -q --trace "$WORK/raft.jsonl"
python3 "$SRC/tests/cli/inject_trace.py" "$WORK/raft.jsonl" "$WORK/evil.jsonl"
"$DSIM" report "$WORK/evil.jsonl" -o "$WORK/evil.html"
timeout 120 "${CHROME[@]}" --enable-logging=stderr --v=0 --virtual-time-budget=10000 --dump-dom "file://$WORK/evil.html#selftest" \
  >"$WORK/evil.dom" 2>"$WORK/evil.console"
grep -q 'id="dsim-ready"' "$WORK/evil.dom" && pass || fail "hostile names: the page's script did not run"
grep -q 'title="[^"]*onmouseover=' "$WORK/evil.dom" && pass || fail "hostile names: the check chip title lost the name"
grep -E -q '<[^>]* onmouseover="' "$WORK/evil.dom" && fail "hostile names: an onmouseover attribute was injected" || pass

# Hostile log commands and message contents: the log view's attributes,
# the legend, the tooltip and the event list must keep them as text.
python3 - "$WORK/raft.jsonl" "$WORK/evil2.jsonl" <<'PY'
import json, sys
EVIL = "\"><img src=x onerror=alert(1)>' onmouseover='alert(2)"
with open(sys.argv[1]) as src, open(sys.argv[2], "w") as out:
    for line in src:
        e = json.loads(line)
        if e["kind"] in ("append", "apply") and "cmd" in e:
            e["cmd"] = EVIL + e["cmd"]
        if e["kind"] == "send" and "term" in e:
            e["type"] = e["type"] + EVIL
            e["note"] = EVIL
        out.write(json.dumps(e, separators=(",", ":")) + "\n")
PY
"$DSIM" report "$WORK/evil2.jsonl" -o "$WORK/evil2.html"
t=$(python3 "$SRC/tests/browser/report_expect.py" cursor "$WORK/evil2.jsonl")
timeout 120 "${CHROME[@]}" --enable-logging=stderr --v=0 --virtual-time-budget=10000 \
  --dump-dom "file://$WORK/evil2.html#selftest&t=$t" >"$WORK/evil2.dom" 2>"$WORK/evil2.console"
grep -q 'id="dsim-ready"' "$WORK/evil2.dom" && pass || fail "hostile contents: the page's script did not run"
grep -q 'class="le' "$WORK/evil2.dom" && pass || fail "hostile contents: no log entry was drawn"
grep -E -q '<img|<[^>]* onmouseover="|<[^>]* onerror="' "$WORK/evil2.dom" && fail "hostile contents: markup was injected" || pass

finish
