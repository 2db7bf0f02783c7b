"""Renames node n5 of a trace to a name that tries HTML attribute injection
(issue 15): `n4' onmouseover='alert(1)' x='`. Usage: inject_trace.py IN OUT"""
import json
import sys

EVIL = "n4' onmouseover='alert(1)' x='"


def rename(v):
    if isinstance(v, str):
        return EVIL if v == "n5" else v
    if isinstance(v, list):
        return [rename(x) for x in v]
    if isinstance(v, dict):
        return {k: rename(x) for k, x in v.items()}
    return v


with open(sys.argv[1]) as src, open(sys.argv[2], "w") as out:
    for line in src:
        out.write(json.dumps(rename(json.loads(line)), separators=(",", ":")) + "\n")
