#!/usr/bin/env bash
# Exports and the terminal timeline: Perfetto JSON and ShiViz logs of Raft
# and broadcast runs pass their validators (tests/cli/validate_exports.py),
# the validators reject broken files, exports are deterministic, and
# `dsim show` / `dsim run -v` filter and print the timeline.
# Usage: export_test.sh PATH/TO/dsim SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh"
V="python3 tests/cli/validate_exports.py"

for sc in teaching/raft-leader-crash teaching/raft-minority-leader teaching/broadcast-lossy regression/broadcast-nemesis; do
  name=$(basename "$sc")
  "$DSIM" run "scenarios/$sc.yaml" --trace "$WORK/$name.jsonl" -q || { fail "$sc did not run"; continue; }
  for fmt in perfetto shiviz; do
    "$DSIM" export "$WORK/$name.jsonl" --format $fmt -o "$WORK/$name.$fmt" || { fail "export $fmt of $sc"; continue; }
    $V $fmt "$WORK/$name.$fmt" >/dev/null && pass || fail "$fmt export of $sc is invalid: $($V $fmt "$WORK/$name.$fmt")"
    "$DSIM" export "$WORK/$name.jsonl" --format $fmt -o "$WORK/$name.$fmt.2"
    cmp -s "$WORK/$name.$fmt" "$WORK/$name.$fmt.2" && pass || fail "$fmt export of $sc is not deterministic"
  done
done

# One track per node plus the faults process, and arrows, in the Raft export.
python3 - "$WORK/raft-leader-crash.perfetto" <<'PY' && pass || fail "Raft Perfetto export lacks node tracks or arrows"
import json, sys
d = json.load(open(sys.argv[1]))
names = sorted(e["args"]["name"] for e in d["traceEvents"] if e["ph"] == "M" and e["name"] == "process_name")
assert names == ["faults", "n1", "n2", "n3", "n4", "n5"], names
assert sum(1 for e in d["traceEvents"] if e["ph"] == "f") > 100
assert any(e["ph"] == "X" and e["name"] == "leader" for e in d["traceEvents"])
assert any(e["ph"] == "X" and e["name"] == "crashed" for e in d["traceEvents"])
PY

# The validators catch what they are for.
sed '0,/"ph":"f"/s/"ph":"f","bp":"e","name":"\([a-z_]*\)","cat":"msg","id":\([0-9]*\)/"ph":"f","bp":"e","name":"\1","cat":"msg","id":999999999/' \
  "$WORK/raft-leader-crash.perfetto" >"$WORK/bad.perfetto"
$V perfetto "$WORK/bad.perfetto" >/dev/null && fail "perfetto validator accepted an unpaired flow" || pass
awk 'NR==10 { sub(/"n[0-9]":[0-9]+/, "\"n1\":999") } { print }' "$WORK/raft-leader-crash.shiviz" >"$WORK/bad.shiviz"
$V shiviz "$WORK/bad.shiviz" >/dev/null && fail "shiviz validator accepted a broken clock" || pass

# dsim show: filters by kind, node and time; dsim run -v streams the timeline.
"$DSIM" show "$WORK/raft-leader-crash.jsonl" --kind role,crash --color never >"$WORK/show"
[ -s "$WORK/show" ] && ! grep -v -E '  (role|crash) ' "$WORK/show" | grep -q . && pass || fail "--kind filter"
"$DSIM" show "$WORK/raft-leader-crash.jsonl" --node n2 --from 1s --to 2s --color never >"$WORK/show2"
awk '{ t = $1; sub(/s$/, "", t); if ($2 != "n2" && $2 != "*") bad = 1; if (t < 1 || t > 2) bad = 1 } END { exit bad }' "$WORK/show2" \
  && [ -s "$WORK/show2" ] && pass || fail "--node/--from/--to filter"
NO_COLOR=1 "$DSIM" show "$WORK/raft-leader-crash.jsonl" --color auto | grep -q $'\x1b\[' && fail "color despite NO_COLOR" || pass
"$DSIM" run scenarios/teaching/raft-first-election.yaml -v --color never 2>"$WORK/v.err" >/dev/null
grep -q "  role  *role=leader term=1" "$WORK/v.err" && pass || fail "dsim run -v shows no timeline"
"$DSIM" export "$WORK/raft-leader-crash.jsonl" --format svg 2>/dev/null; [ $? -eq 2 ] && pass || fail "bad --format should exit 2"
printf 'nope\n' >"$WORK/bad.jsonl"
"$DSIM" export "$WORK/bad.jsonl" --format perfetto -o "$WORK/never.json" 2>/dev/null
[ $? -eq 3 ] && [ ! -e "$WORK/never.json" ] && pass || fail "bad trace should exit 3 and write nothing"
"$DSIM" show "$WORK/bad.jsonl" 2>/dev/null; [ $? -eq 3 ] && pass || fail "show of a bad trace should exit 3"

finish
