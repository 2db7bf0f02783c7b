#!/usr/bin/env python3
"""Maelstrom lin-kv: the first node holds the map and serves every request;
the others forward to it (a forwarded request that times out gets no answer,
so the client records it as indefinite). Single copy, so linearizable.

Planted bug (--bug): a follower answers reads from a cache of the values it
has seen pass through it, which can be stale.
"""
import sys

from dsim_maelstrom import Node, RPCError, KEY_DOES_NOT_EXIST, PRECONDITION_FAILED

node = Node()
bug = "--bug" in sys.argv[1:]
data = {}
cache = {}


def apply(body):
    t, key = body["type"], str(body["key"])
    if t == "read":
        if key not in data:
            raise RPCError(KEY_DOES_NOT_EXIST, "no such key")
        return {"type": "read_ok", "value": data[key]}
    if t == "write":
        data[key] = body["value"]
        return {"type": "write_ok"}
    if t == "cas":
        if key not in data:
            raise RPCError(KEY_DOES_NOT_EXIST, "no such key")
        if data[key] != body["from"]:
            raise RPCError(PRECONDITION_FAILED, "expected %r, had %r" % (body["from"], data[key]))
        data[key] = body["to"]
        return {"type": "cas_ok"}
    raise RPCError(10, t)


def handle(msg):
    body = dict(msg["body"])
    key = str(body["key"])
    if node.node_id == node.node_ids[0]:
        try:
            node.reply(msg, apply(body))
        except RPCError as e:
            node.reply(msg, e.body())
        return
    if bug and body["type"] == "read" and key in cache:
        node.reply(msg, {"type": "read_ok", "value": cache[key]})
        return
    body.pop("msg_id", None)

    def back(reply):
        out = dict(reply["body"])
        if out["type"] == "error" and out.get("code") == 0:
            return  # timed out: indefinite, let the client time out
        if out["type"] == "read_ok":
            cache[key] = out["value"]
        elif out["type"] == "write_ok":
            cache[key] = body["value"]
        elif out["type"] == "cas_ok":
            cache[key] = body["to"]
        out.pop("in_reply_to", None)
        out.pop("msg_id", None)
        node.reply(msg, out)
    node.rpc(node.node_ids[0], body, back, timeout=0.5)


for t in ("read", "write", "cas"):
    node.on(t, handle)

node.run()
