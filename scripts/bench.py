#!/usr/bin/env python3
"""Whole-run performance: the table a user feels, measured in one run.

    scripts/bench.py [--build build-ci] [--quick] [--only ROW,...]

Each row runs dsim as a user would (a scenario with all its checkers, a
sweep, a report opened in headless Chromium, the engine's ring next to the
bare hand-written loop) and prints what was measured, the target and
whether it is met. Wall times are from this machine, now: run it on a quiet
machine and compare rows measured in the same run. --quick shrinks the
sweep (1,000 seeds, time scaled to 10,000) and the long runs (100 and
1,000 simulated seconds) for a fast look; the figures say when they are
scaled. The two Raft rows are the median of five runs each. Needs the
build tree's dsim and tests/bench/dsim_bench (configure with
-DDSIM_BENCH=ON, as scripts/setup.sh test does).

Exit status: 0 when it measured every row (met or not), 2 on bad usage, 1
when a run failed.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(cmd, **kw):
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    return time.perf_counter() - start, proc


def must(proc, what):
    if proc.returncode not in (0,):
        sys.stderr.write(f"bench: {what} failed (exit {proc.returncode}):\n{proc.stderr.decode(errors='replace')[-2000:]}\n")
        sys.exit(1)


LONG_RUN = """version: 1
name: bench-long-nemesis
description: A 5-node Raft cluster under a random nemesis with a steady client load.
protocol: raft
seed: 1
duration: {duration}s
nodes: 5
raft:
  election_timeout: [150ms, 300ms]
  heartbeat: 50ms
network:
  latency: {{dist: uniform, min: 1ms, max: 5ms}}
  drop: 0.01
workload:
  requests: {requests}
  to: leader
  start: 200ms
  interval: 20ms
nemesis:
  faults: [crash, pause, partition, isolate, clog]
  interval: [500ms, 2s]
  duration: [100ms, 1s]
  max_down: 2
  until: {stop}s
"""

BIG_TRACE = """version: 1
name: bench-1m-events
description: About a million trace lines of a 5-node Raft cluster under load.
protocol: raft
seed: 1
duration: 30s
nodes: 5
raft:
  election_timeout: [150ms, 300ms]
  heartbeat: 50ms
network:
  latency: {dist: uniform, min: 1ms, max: 3ms}
workload:
  requests: 30000
  to: leader
  start: 0
  interval: 1ms
"""


class Table:
    def __init__(self):
        self.rows = []

    def add(self, what, measured, target, met):
        self.rows.append((what, measured, target, "yes" if met else "NO"))
        print(f"  {what}: {measured}  (target {target}: {'met' if met else 'NOT met'})", file=sys.stderr, flush=True)

    def print(self):
        heads = ("what", "measured", "target", "met")
        widths = [max(len(r[i]) for r in self.rows + [heads]) for i in range(4)]
        line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
        print(line(heads))
        print(line(tuple("-" * w for w in widths)))
        for r in self.rows:
            print(line(r))


def median_timed(cmd, runs=5):
    """The median wall time of `runs` runs (a shared machine's outliers, such
    as another process's burst, move one run, not the median) and the last
    run's process."""
    walls = []
    for _ in range(runs):
        wall, p = timed(cmd)
        if p.returncode != 0:
            return wall, p
        walls.append(wall)
    return statistics.median(walls), p


def raft_rows(dsim, tmp, table):
    sc = "scenarios/perf/raft-5-nodes-1000rps.yaml"
    wall, p = median_timed([dsim, "run", sc, "--json", "-", "-q"])
    must(p, sc)
    summary = json.loads(p.stdout)
    sim_s = summary["simulated_time_ns"] / 1e9
    events = summary["events"]
    x = sim_s / wall
    table.add("raft 5 nodes 1000 req/s 60 s, all checkers, no trace",
              f"{x:.0f}x real time ({events:,} events in {wall:.2f} s, {events / wall / 1e6:.2f} M events/s)",
              ">= 500x", x >= 500)
    trace = os.path.join(tmp, "raft.jsonl")
    wall, p = median_timed([dsim, "run", sc, "--trace", trace, "-q"])
    must(p, sc + " --trace")
    x = sim_s / wall
    size = os.path.getsize(trace) / 2**20
    table.add("the same, writing the JSONL trace", f"{x:.0f}x real time ({wall:.2f} s, {size:.0f} MiB)", ">= 150x", x >= 150)


def sweep_row(dsim, tmp, table, quick):
    seeds = 1000 if quick else 10000
    sc = "scenarios/regression/raft-churn.yaml"
    wall, p = timed([dsim, "sweep", sc, "--seeds", f"1..{seeds}", "-j", "2", "--progress", "never",
                     "--results", os.path.join(tmp, "sweep.jsonl")])
    if p.returncode != 0:
        must(p, "sweep")
    full = wall * 10000 / seeds
    scaled = f" (measured {seeds} seeds in {wall:.1f} s, scaled)" if quick else ""
    table.add("raft-churn sweep, 10,000 seeds, 2 jobs", f"{full:.1f} s, {10000 / full:.0f} runs/s{scaled}", "<= 20 s", full <= 20)


def chromium():
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def open_in_browser(browser, tmp, path):
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", f"--user-data-dir={os.path.join(tmp, 'profile')}",
           "--dump-dom", "file://" + path]
    return timed(cmd, timeout=300)


def report_row(dsim, tmp, table):
    sc = os.path.join(tmp, "big.yaml")
    with open(sc, "w") as f:
        f.write(BIG_TRACE)
    trace = os.path.join(tmp, "big.jsonl")
    _, p = timed([dsim, "run", sc, "--trace", trace, "-q"])
    must(p, "the 1M-event run")
    events = sum(1 for _ in open(trace, "rb"))
    html = os.path.join(tmp, "big.html")
    build, p = timed([dsim, "report", trace, "-o", html])
    must(p, "dsim report")
    size = os.path.getsize(html) / 2**20
    browser = chromium()
    if browser is None:
        table.add(f"HTML report of {events:,} events: build / usable", f"{build:.1f} s / (no chromium)", "<= 2 s / <= 3 s", False)
        return
    blank = os.path.join(tmp, "blank.html")
    with open(blank, "w") as f:
        f.write("<!doctype html><title>blank</title><p id=dsim-ready>ready</p>")
    base, _ = open_in_browser(browser, tmp, blank)
    wall, p = open_in_browser(browser, tmp, html)
    ready = b'id="dsim-ready"' in p.stdout
    usable = max(0.0, wall - base)
    note = "" if ready else ", page never became ready"
    table.add(f"HTML report of {events:,} trace lines ({size:.0f} MB): build / usable in headless Chromium",
              f"{build:.1f} s / {usable:.1f} s (browser start {base:.1f} s not counted{note})", "<= 2 s / <= 3 s",
              build <= 2 and usable <= 3 and ready)


def lb_row(dsim, table):
    sc = "scenarios/perf/lb-1000x100k.yaml"
    wall, p = timed([dsim, "run", sc, "--json", "-", "-q"])
    if p.returncode not in (0, 4):  # it lists no checks: exit 4 says so
        must(p, sc)
    sim_s = json.loads(p.stdout)["simulated_time_ns"] / 1e9
    table.add("lb-1000x100k", f"{wall:.2f} s for {sim_s:g} s simulated", "<= 0.5 s", wall <= 0.5)


def long_rows(dsim, tmp, table, quick):
    lengths = (100, 1000) if quick else (1000, 10000)
    per = []
    for d in lengths:
        sc = os.path.join(tmp, f"long-{d}.yaml")
        with open(sc, "w") as f:
            f.write(LONG_RUN.format(duration=d, requests=(d - 10) * 50, stop=d - 5))
        wall, p = timed([dsim, "run", sc, "--json", "-", "-q"])
        if p.returncode not in (0, 1, 5):
            must(p, sc)
        per.append(wall / d)
    ratio = per[1] / per[0]
    table.add(f"nemesis run, wall per simulated second, {lengths[0]:,} s vs {lengths[1]:,} s",
              f"{per[0] * 1000:.2f} ms vs {per[1] * 1000:.2f} ms ({ratio:.2f}x)", "within 1.3x", ratio <= 1.3)


def engine_rows(bench, table):
    if not os.path.exists(bench):
        table.add("ring N=10000, 16 in flight, vs the bare loop", f"(no {bench}: configure with -DDSIM_BENCH=ON)", ">= 0.7x", False)
        return
    p = subprocess.run([bench, "--benchmark_filter=^BM_(Bare|BareQuad)?Ring/nodes:10000/in_flight:16|^BM_Memory",
                        "--benchmark_format=json", "--benchmark_min_time=1"], cwd=ROOT, capture_output=True)
    must(p, "dsim_bench")
    res = {b["name"].split("/")[0]: b for b in json.loads(p.stdout)["benchmarks"]}
    ring, bare = res["BM_Ring"]["items_per_second"], res["BM_BareRing"]["items_per_second"]
    quad = f"; {ring / res['BM_BareQuadRing']['items_per_second']:.2f}x a bare loop on the engine's queue" \
        if "BM_BareQuadRing" in res else ""
    table.add("ring N=10000, 16 in flight, vs the bare loop",
              f"{ring / bare:.2f}x ({ring / 1e6:.1f} vs {bare / 1e6:.1f} M messages/s{quad})", ">= 0.7x", ring / bare >= 0.7)
    mem = res["BM_Memory"]
    node, msg = mem["bytes_per_idle_node"], mem["bytes_per_in_flight_message"]
    # A message's payload is what its sender put in it: the type and six
    # fields (stored whatever their values) and the body's bytes; the rest
    # is the engine's (slot header, queue node, spare capacity, and for a
    # non-empty body its block in the body arena: a length word and rounding
    # to 8 bytes). Both cases must be within 64 B.
    payload, engine = mem["payload_bytes"], mem["engine_bytes_per_message"]
    engine_body = mem["engine_bytes_per_message_100B_body"]
    table.add("memory per idle node / per in-flight message",
              f"{node:.0f} B / {msg:.0f} B with no body ({payload:.0f} B payload + {engine:.0f} B engine); "
              f"engine {engine_body:.0f} B with a 100-byte body",
              "<= 1024 B / <= 64 B + payload", node <= 1024 and engine <= 64 and engine_body <= 64)


def explore_rows(dsim, table):
    """dsim explore's speed (issue 19): distinct states per second on one
    core, exhaustive depth-first on 3-node Paxos, random walks on Raft."""
    import re
    for sc, what, target in (
            ("scenarios/explore/paxos-3-acceptors-2-proposers.yaml",
             "explore: 3-node Paxos, 2 proposers, depth-first to 12", 200_000),
            ("scenarios/explore/raft-figure8.yaml",
             "explore: 3-node Raft, random walks to Figure 8", None)):
        wall, p = timed([dsim, "explore", sc, "--no-progress", "-o", os.devnull])
        if p.returncode not in (0, 5):
            must(p, "explore " + sc)
        err = p.stderr.decode(errors="replace")
        m = re.search(r"states\s+([\d,]+) distinct, .*?([\d.]+)s \(([\d,]+) states/s\)", err)
        if not m:
            sys.stderr.write(f"bench: no states line from explore {sc}:\n{err[-1000:]}\n")
            sys.exit(1)
        rate = int(m.group(3).replace(",", ""))
        found = re.search(r"verdict\s+(.*)", err).group(1)[:60]
        table.add(what, f"{rate:,} states/s ({m.group(1)} states in {m.group(2)} s; {found})",
                  f">= {target:,} states/s" if target else "reported", rate >= target if target else True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build-ci", help="build tree with dsim and tests/bench/dsim_bench")
    ap.add_argument("--quick", action="store_true", help="smaller sweep and shorter long runs, scaled")
    ap.add_argument("--only", default="raft,sweep,report,lb,long,engine,explore", help="rows to measure, comma-separated")
    args = ap.parse_args()
    build = os.path.join(ROOT, args.build) if not os.path.isabs(args.build) else args.build
    dsim = os.path.join(build, "dsim")
    if not os.access(dsim, os.X_OK):
        print(f"bench: no dsim binary at {dsim} (build first, or pass --build)", file=sys.stderr)
        return 2
    rows = set(args.only.split(","))
    unknown = rows - {"raft", "sweep", "report", "lb", "long", "engine", "explore"}
    if unknown:
        print(f"bench: unknown row(s) {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    table = Table()
    with tempfile.TemporaryDirectory(prefix="dsim-bench-") as tmp:
        if "raft" in rows:
            raft_rows(dsim, tmp, table)
        if "sweep" in rows:
            sweep_row(dsim, tmp, table, args.quick)
        if "report" in rows:
            report_row(dsim, tmp, table)
        if "lb" in rows:
            lb_row(dsim, table)
        if "long" in rows:
            long_rows(dsim, tmp, table, args.quick)
        if "engine" in rows:
            engine_rows(os.path.join(build, "tests", "bench", "dsim_bench"), table)
        if "explore" in rows:
            explore_rows(dsim, table)
    print()
    table.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
