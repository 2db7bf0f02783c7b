#!/usr/bin/env python3
"""Validators for dsim's exports.

usage: validate_exports.py perfetto FILE | shiviz FILE
Exit 0 when valid; otherwise prints what is wrong and exits 1.
"""
import json
import re
import sys
from collections import defaultdict


def fail(msg):
    print("INVALID:", msg)
    sys.exit(1)


def check_perfetto(path):
    doc = json.load(open(path))  # 1. parses
    events = doc["traceEvents"]
    if "metadata" in doc:
        fail("top-level key 'metadata' is parsed by Perfetto itself")
    procs, threads = set(), set()
    for e in events:
        if e["ph"] == "M" and e["name"] == "process_name":
            procs.add(e["pid"])
        if e["ph"] == "M" and e["name"] == "thread_name":
            threads.add((e["pid"], e["tid"]))
    last_ts = None
    slices = defaultdict(list)
    flows = defaultdict(lambda: {"s": [], "f": []})
    x_seen = set()  # (pid, tid, cat, ts) of X slices with dur > 0 written so far
    arrows = 0
    for i, e in enumerate(events):
        if e["ph"] == "M":
            continue
        if e["pid"] not in procs:  # 2.
            fail(f"event {i}: pid {e['pid']} has no process_name")
        if last_ts is not None and e["ts"] < last_ts:  # 6.
            fail(f"event {i}: ts {e['ts']} goes back from {last_ts}")
        last_ts = e["ts"]
        if e["ph"] == "X":
            if (e["pid"], e["tid"]) not in threads:
                fail(f"event {i}: (pid, tid) {(e['pid'], e['tid'])} has no thread_name")
            if e["dur"] <= 0:
                fail(f"event {i}: X with dur {e['dur']}")
            # In integer ns: the exporter writes exact microseconds with 3 decimals.
            start = round(e["ts"] * 1000)
            slices[(e["pid"], e["tid"])].append((start, start + round(e["dur"] * 1000), i))
            x_seen.add((e["pid"], e["tid"], e.get("cat"), e["ts"]))
        if e["ph"] in ("s", "f"):
            if e["ph"] == "f" and e.get("bp") != "e":
                fail(f"event {i}: flow end without bp=e")
            if (e["pid"], e["tid"], e["cat"], e["ts"]) not in x_seen:  # 5.
                fail(f"event {i}: flow {e['ph']} id {e['id']} has no enclosing X slice written before it")
            flows[(e["id"], e["cat"], e["name"])][e["ph"]].append(e["ts"])
    for key, se in flows.items():  # 4.
        if len(se["s"]) != 1 or len(se["f"]) > 1:
            fail(f"flow {key}: {len(se['s'])} starts and {len(se['f'])} ends")
        if se["f"] and se["f"][0] < se["s"][0]:
            fail(f"flow {key}: ends before it starts")
        arrows += len(se["f"])
    for track, xs in slices.items():  # 3. nesting: no partial overlap
        xs.sort(key=lambda s: (s[0], -s[1]))
        stack = []
        for start, end, i in xs:
            while stack and stack[-1] <= start:
                stack.pop()
            if stack and end > stack[-1]:
                fail(f"track {track}: slice {i} [{start}, {end}) overlaps its parent ending at {stack[-1]}")
            stack.append(end)
    print(f"perfetto ok: {len(events)} events, {len(procs)} processes, {arrows} arrows")


def check_shiviz(path):
    lines = open(path).read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    regex = re.compile("^" + lines[0].replace("(?<", "(?P<") + "$")
    delim = re.compile("^" + lines[1].replace("(?<", "(?P<") + "$")
    for g in ("host", "clock", "event"):
        if f"(?<{g}>" not in lines[0]:
            fail(f"line 1 lacks the named group {g}")
    last = {}  # host -> its last clock
    sends = {}  # msg id -> the sender's clock at the send
    count = 0
    for n, line in enumerate(lines[2:], start=3):
        if delim.match(line):
            last, sends = {}, {}
            continue
        m = regex.match(line)
        if not m:
            fail(f"line {n} does not match the line-1 regex: {line}")
        host, clock, event = m["host"], json.loads(m["clock"]), m["event"]
        if host not in clock:  # rule 1
            fail(f"line {n}: local host {host} is missing from its clock")
        prev = last.get(host, {})
        if clock[host] != prev.get(host, 0) + 1:  # rule 2
            fail(f"line {n}: {host}'s counter is {clock[host]}, expected {prev.get(host, 0) + 1}")
        expect = dict(prev)
        expect[host] = clock[host]
        recv = re.match(r"recv \S+ from \S+ msg=(\d+)$", event)
        if recv and recv[1] in sends:  # rule 4: merge on receive
            for h, v in sends[recv[1]].items():
                if h != host:
                    expect[h] = max(expect.get(h, 0), v)
        if clock != expect:
            fail(f"line {n}: impermissible clock {clock}, expected {expect}")
        for h, v in clock.items():  # rule 3
            if h != host and v > last.get(h, {}).get(h, 0):
                fail(f"line {n}: clock names {h}={v} beyond {h}'s last logged event")
        send = re.match(r"send \S+ to \S+ msg=(\d+)$", event)
        if send:
            sends[send[1]] = clock
        last[host] = clock
        count += 1
    print(f"shiviz ok: {count} events, {len(last)} hosts")


if __name__ == "__main__":
    {"perfetto": check_perfetto, "shiviz": check_shiviz}[sys.argv[1]](sys.argv[2])
