#!/usr/bin/env python3
"""A Maelstrom node that misbehaves on purpose, for tests/cli/maelstrom_test.sh.

Usage: misbehave.py KIND, where KIND is one of
  garbage       answers init with a line that is not JSON
  exit          exits (status 3) on init, after a word on stderr
  silent        reads init and never answers
  no-sync       announces the dsim extension and never writes dsim_sync
  chatty        announces the extension, then writes a line after its dsim_sync
  bad-dest      after init, sends a message to a node that does not exist
  no-body       after init, writes an envelope without a body
  plain-echo    a correct plain Maelstrom echo node (no dsim extension) that logs to stderr
"""
import json
import os
import sys
import time

kind = sys.argv[1]


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    me = msg["dest"]
    if kind == "garbage":
        sys.stdout.write("hello, I am not JSON\n")
        sys.stdout.flush()
    elif kind == "exit":
        sys.stderr.write("misbehave: giving up on purpose\n")
        sys.exit(3)
    elif kind == "silent":
        time.sleep(3600)
    elif body["type"] == "init":
        ok = {"src": me, "dest": msg["src"], "body": {"type": "init_ok", "in_reply_to": body["msg_id"]}}
        if kind in ("no-sync", "chatty"):
            ok["body"]["dsim"] = 1
        out(ok)
        if kind == "chatty":
            # One write, so dsim has the extra line before the next input.
            sys.stdout.write(json.dumps({"src": me, "dest": "dsim", "body": {"type": "dsim_sync"}}) + "\n" +
                             json.dumps({"src": me, "dest": "c0", "body": {"type": "hello", "in_reply_to": 1}}) + "\n")
            sys.stdout.flush()
        if kind == "bad-dest":
            out({"src": me, "dest": "n9", "body": {"type": "hello"}})
        if kind == "no-body":
            out({"src": me, "dest": "n1"})
        if kind == "plain-echo":
            sys.stderr.write("plain-echo %s started, PYTHONHASHSEED=%s\n" % (me, os.environ.get("PYTHONHASHSEED")))
            sys.stderr.flush()
    elif kind == "plain-echo" and body["type"] == "echo":
        out({"src": me, "dest": msg["src"],
             "body": {"type": "echo_ok", "echo": body["echo"], "in_reply_to": body["msg_id"]}})
