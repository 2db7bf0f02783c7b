#!/usr/bin/env python3
"""Cuts dsim traces down to small fuzz seeds (tests/fuzz/corpus/trace).

Usage: make_trace_seeds.py OUT_DIR TRACE.jsonl...

A seed keeps the meta header, the first event of every kind (so each
checker and each part of the report sees its events) and an evenly spaced
sample of the rest, in their original order (time never goes backwards),
up to about 40 lines. Small seeds keep the fuzzer fast.
"""
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for path in sys.argv[2:]:
    lines = open(path, encoding="utf-8").read().splitlines()
    if not lines:
        continue
    keep = {0}
    seen = {}
    for i, line in enumerate(lines[1:], 1):
        kind = line.split('"kind":"', 1)[1].split('"', 1)[0] if '"kind":"' in line else ""
        if seen.get(kind, 0) < 1:
            seen[kind] = seen.get(kind, 0) + 1
            keep.add(i)
    room = max(0, 40 - len(keep))
    step = max(1, (len(lines) - 1) // room) if room else len(lines)
    keep.update(range(1, len(lines), step))
    name = os.path.basename(path)
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        f.write("".join(lines[i] + "\n" for i in sorted(keep)))
