#!/usr/bin/env python3
"""Checks a results.json against Gradescope's documented format
(gradescope-autograders.readthedocs.io, "Autograder Specifications",
"Output format"): the known top-level and per-test keys only, with their
types; visibility values; scores that add up. Usage: check_gradescope.py FILE"""
import json
import sys

TOP = {"score": (int, float), "execution_time": (int, float), "output": str, "output_format": str,
       "test_output_format": str, "test_name_format": str, "visibility": str, "stdout_visibility": str,
       "extra_data": dict, "tests": list, "leaderboard": list}
TEST = {"score": (int, float), "max_score": (int, float), "status": str, "name": str, "name_format": str,
        "number": str, "output": str, "output_format": str, "tags": list, "visibility": str, "extra_data": dict}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
STATUS = {"passed", "failed"}

def fail(msg):
    print("results.json: " + msg, file=sys.stderr)
    sys.exit(1)

with open(sys.argv[1], encoding="utf-8") as f:
    text = f.read()
r = json.loads(text)
if not isinstance(r, dict):
    fail("not an object")
for k, v in r.items():
    if k not in TOP:
        fail("unknown top-level key " + k)
    if not isinstance(v, TOP[k]) or isinstance(v, bool):
        fail("top-level %s has the wrong type" % k)
if "score" not in r and not all("score" in t for t in r.get("tests", [])):
    fail("a score is needed at the top level or on every test")
for k in ("visibility", "stdout_visibility"):
    if k in r and r[k] not in VISIBILITY:
        fail("%s %r is not one of %s" % (k, r[k], sorted(VISIBILITY)))
total = 0
for i, t in enumerate(r.get("tests", [])):
    if not isinstance(t, dict):
        fail("tests[%d] is not an object" % i)
    for k, v in t.items():
        if k not in TEST:
            fail("tests[%d]: unknown key %s" % (i, k))
        if not isinstance(v, TEST[k]) or isinstance(v, bool):
            fail("tests[%d].%s has the wrong type" % (i, k))
    if "visibility" in t and t["visibility"] not in VISIBILITY:
        fail("tests[%d].visibility %r" % (i, t["visibility"]))
    if "status" in t and t["status"] not in STATUS:
        fail("tests[%d].status %r" % (i, t["status"]))
    if "score" in t and "max_score" in t and not 0 <= t["score"] <= t["max_score"]:
        fail("tests[%d]: score %s outside 0..%s" % (i, t["score"], t["max_score"]))
    if "status" in t and (t["status"] == "passed") != (t["score"] == t["max_score"]):
        fail("tests[%d]: status %s with %s of %s points" % (i, t["status"], t["score"], t["max_score"]))
    total += t.get("score", 0)
if "score" in r and r["score"] != total:
    fail("top-level score %s is not the sum of the tests' (%s)" % (r["score"], total))
if not text.endswith("\n"):
    fail("does not end with a newline")
