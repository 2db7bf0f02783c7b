#!/usr/bin/env bash
# The `dsim tune` page in a real browser: headless Chromium (Debian's
# chromium, installed by scripts/setup.sh test) loads the page of a
# two-parameter grid and dumps the DOM it built. For every plotted point
# and heat-map cell, the value it carries must be the CSV's (the count for
# a check outcome, else the median) and its height on the plot must be that
# value on the plot's axis; every point of the grid is drawn. A grid whose
# labels are markup must come out as text. Screenshots are left in ARTIFACTS.
# Usage: tune_page_test.sh PATH/TO/dsim SOURCE_DIR ARTIFACTS_DIR
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
CHROME=("$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
        --disable-component-update --disable-sync --user-data-dir="$WORK/profile")

"$DSIM" tune scenarios/tuning/dynamo-quorums.yaml --set dynamo.r=1,2,3 --set dynamo.w=1,3 --seeds 1..4 -j 2 \
  --progress never --metric clients.stale_read_pct --metric clients.partition_availability_pct \
  --metric check.linearizable.violated --csv "$WORK/q.csv" --html "$WORK/q.html" >/dev/null 2>"$WORK/q.err"
[ $? -eq 0 ] && [ -s "$WORK/q.html" ] && pass || fail "dsim tune wrote no page: $(cat "$WORK/q.err")"
grep -E -q 'https?://|src="|@import|<script' "$WORK/q.html" && fail "the page references the network or runs script" || pass
timeout 120 "${CHROME[@]}" --enable-logging=stderr --v=0 --dump-dom "file://$WORK/q.html" >"$WORK/q.dom" 2>"$WORK/q.console"
python3 - "$WORK/q.dom" "$WORK/q.csv" <<'PY' && pass || fail "the plotted points do not match the CSV"
import csv, html.parser, sys
dom, csv_path = sys.argv[1:3]
rows = {(r["point"], r["metric"]): r for r in csv.DictReader(open(csv_path))}
points = sorted({r[0] for r in rows}, key=int)

class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.svgs = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svgs.append({"attrs": a, "marks": []})
        elif tag in ("circle", "rect") and "data-point" in a and self.svgs:
            self.svgs[-1]["marks"].append((tag, a))
p = P()
p.feed(open(dom).read())
plots = [s for s in p.svgs if s["attrs"].get("class") == "plot"]
heats = [s for s in p.svgs if s["attrs"].get("class") == "heat"]
assert len(plots) == 3 and len(heats) == 3, (len(plots), len(heats))
for s in plots + heats:
    m = s["attrs"]["data-metric"]
    count = m.startswith("check.")
    drawn = sorted(a["data-point"] for _, a in s["marks"])
    assert drawn == sorted(points), (m, drawn)
    for tag, a in s["marks"]:
        r = rows[(a["data-point"], m)]
        want = r["sum"] if count else r["median"]
        assert float(a["data-value"]) == float(want), (m, a["data-point"], a["data-value"], want)
        if tag == "circle":
            lo, hi = float(s["attrs"]["data-ymin"]), float(s["attrs"]["data-ymax"])
            top, bottom = float(s["attrs"]["data-top"]), float(s["attrs"]["data-bottom"])
            y = bottom - (float(want) - lo) / (hi - lo) * (bottom - top)
            assert abs(float(a["cy"]) - y) < 0.02, (m, a["data-point"], a["cy"], y)
print("checked", sum(len(s["marks"]) for s in plots + heats), "marks")
PY
grep -E -q 'CONSOLE.*(Uncaught|Error|Refused)' "$WORK/q.console" && fail "console errors: $(grep CONSOLE "$WORK/q.console" | head -3)" || pass
timeout 120 "${CHROME[@]}" --window-size=1200,1600 --screenshot="$ART/tune-dynamo.png" "file://$WORK/q.html" >/dev/null 2>&1
[ -s "$ART/tune-dynamo.png" ] && pass || fail "no screenshot"

# Labels that are markup stay text.
cat >"$WORK/evil.yaml" <<GRID_EOF
scenario: $PWD/scenarios/tuning/dynamo-quorums.yaml
seeds: 1..2
grid:
  "<b onmouseover='alert(1)'>quorum</b>":
    - {label: "<img src=x onerror=alert(1)>", set: {dynamo.r: 1}}
    - {label: "\"'><script>alert(2)</script>", set: {dynamo.r: 2}}
metrics: [clients.stale_read_pct]
GRID_EOF
"$DSIM" tune "$WORK/evil.yaml" --progress never --html "$WORK/evil.html" >/dev/null 2>"$WORK/evil.err"
[ -s "$WORK/evil.html" ] && pass || fail "no page for hostile labels: $(cat "$WORK/evil.err")"
timeout 120 "${CHROME[@]}" --dump-dom "file://$WORK/evil.html" >"$WORK/evil.dom" 2>/dev/null
grep -q '<img' "$WORK/evil.dom" && fail "a label became an <img> element" || pass
grep -q '<script' "$WORK/evil.dom" && fail "a label became a <script> element" || pass
grep -E -q '<[^>]* onmouseover=' "$WORK/evil.dom" && fail "a label injected an attribute" || pass
grep -q '&lt;img src=x onerror=alert(1)&gt;' "$WORK/evil.dom" && pass || fail "the label is not shown as text"
finish
