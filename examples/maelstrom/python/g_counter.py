#!/usr/bin/env python3
"""Maelstrom grow-only counter on the seq-kv service: an add reads the
counter and compare-and-sets it to the sum, retrying on a conflict. seq-kv
may answer a read with an old value, so a read confirms what it read with a
compare-and-set to the same value (which acts on the latest one), retrying
until it holds.

Planted bugs: --bug: an add reads and then writes (no compare-and-set), so
two concurrent adds lose one of them; --stale-read: a read answers with what
seq-kv returned without confirming it, which may be old.
"""
import sys

from dsim_maelstrom import Node, RPCError, KEY_DOES_NOT_EXIST

node = Node()
bug = "--bug" in sys.argv[1:]
stale_read = "--stale-read" in sys.argv[1:]
KEY = "counter"
KV = "seq-kv"


def read_value(then):
    def got(reply):
        b = reply["body"]
        if b["type"] == "read_ok":
            then(b["value"])
        elif b.get("code") == KEY_DOES_NOT_EXIST:
            then(0)
        else:
            then(None)
    node.rpc(KV, {"type": "read", "key": KEY}, got, timeout=0.5)


@node.handler("add")
def add(msg):
    delta = msg["body"]["delta"]

    def attempt(tries):
        def have(v):
            if v is None:
                return  # the service is unreachable: the client's request times out (indefinite)
            if bug:
                node.rpc(KV, {"type": "write", "key": KEY, "value": v + delta},
                         lambda r: node.reply(msg, {"type": "add_ok"}) if r["body"]["type"] == "write_ok" else None,
                         timeout=0.5)
                return

            def done(r):
                if r["body"]["type"] == "cas_ok":
                    node.reply(msg, {"type": "add_ok"})
                elif r["body"].get("code") in (20, 22) and tries < 20:
                    attempt(tries + 1)
            node.rpc(KV, {"type": "cas", "key": KEY, "from": v, "to": v + delta, "create_if_not_exists": True},
                     done, timeout=0.5)
        read_value(have)
    attempt(0)


@node.handler("read")
def read(msg):
    def attempt(tries):
        def have(v):
            if v is None:
                return
            if stale_read:
                node.reply(msg, {"type": "read_ok", "value": v})
                return

            def confirmed(r):
                if r["body"]["type"] == "cas_ok":
                    node.reply(msg, {"type": "read_ok", "value": v})
                elif r["body"].get("code") in (20, 22) and tries < 20:
                    attempt(tries + 1)
            node.rpc(KV, {"type": "cas", "key": KEY, "from": v, "to": v, "create_if_not_exists": True},
                     confirmed, timeout=0.5)
        read_value(have)
    attempt(0)


node.run()
