#!/usr/bin/env python3
"""Maelstrom kafka-style log: the first node holds every log and the
committed offsets; the others forward requests to it (a forwarded request
that times out gets no answer, so the client records it as indefinite).

Planted bug (--bug): the leader acknowledges every 4th send with an offset
but never stores the message (a lost write).
"""
import sys

from dsim_maelstrom import Node

node = Node()
bug = "--bug" in sys.argv[1:]
logs = {}       # key -> list of (offset, msg)
committed = {}  # key -> offset
sends = 0


def leader():
    return node.node_ids[0]


def apply(body):
    global sends
    t = body["type"]
    if t == "send":
        log = logs.setdefault(body["key"], [])
        offset = log[-1][0] + 1 if log else 0
        sends += 1
        if bug and sends % 4 == 0:
            # Skip storing, but keep the offset taken: the next send gets offset + 1.
            log.append((offset, None))
        else:
            log.append((offset, body["msg"]))
        return {"type": "send_ok", "offset": offset}
    if t == "poll":
        out = {}
        for key, start in body["offsets"].items():
            out[key] = [[o, m] for (o, m) in logs.get(key, []) if o >= start and m is not None]
        return {"type": "poll_ok", "msgs": out}
    if t == "commit_offsets":
        for key, off in body["offsets"].items():
            committed[key] = max(committed.get(key, -1), off)
        return {"type": "commit_offsets_ok"}
    if t == "list_committed_offsets":
        return {"type": "list_committed_offsets_ok",
                "offsets": {k: committed[k] for k in body["keys"] if k in committed}}
    raise ValueError(t)


def handle(msg):
    body = dict(msg["body"])
    if node.node_id == leader():
        node.reply(msg, apply(body))
        return
    body.pop("msg_id", None)

    def back(reply):
        if reply["body"]["type"] != "error":
            out = dict(reply["body"])
            out.pop("in_reply_to", None)
            out.pop("msg_id", None)
            node.reply(msg, out)
    node.rpc(leader(), body, back, timeout=0.5)


for t in ("send", "poll", "commit_offsets", "list_committed_offsets"):
    node.on(t, handle)


node.run()
