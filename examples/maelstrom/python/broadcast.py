#!/usr/bin/env python3
"""Maelstrom broadcast by gossip: every 100 ms each node sends each neighbour
the values that neighbour has not acknowledged yet, so values cross
partitions once they heal.

Planted bug (--bug): a value is offered to each neighbour once and
considered delivered at once (no acknowledgement, no retry), so a message
lost in a partition is never sent again.
"""
import sys

from dsim_maelstrom import Node

node = Node()
bug = "--bug" in sys.argv[1:]
messages = set()
neighbours = []
acked = {}  # neighbour -> values it has acknowledged


@node.handler("topology")
def topology(msg):
    global neighbours
    neighbours = list(msg["body"]["topology"].get(node.node_id, []))
    for n in neighbours:
        acked.setdefault(n, set())
    node.reply(msg, {"type": "topology_ok"})


@node.handler("broadcast")
def broadcast(msg):
    messages.add(msg["body"]["message"])
    node.reply(msg, {"type": "broadcast_ok"})


@node.handler("read")
def read(msg):
    node.reply(msg, {"type": "read_ok", "messages": sorted(messages)})


@node.handler("gossip")
def gossip(msg):
    got = msg["body"]["messages"]
    messages.update(got)
    if not bug:
        node.send(msg["src"], {"type": "gossip_ok", "messages": got})


@node.handler("gossip_ok")
def gossip_ok(msg):
    acked.setdefault(msg["src"], set()).update(msg["body"]["messages"])


def tick():
    for n in neighbours:
        todo = messages - acked[n]
        if todo:
            node.send(n, {"type": "gossip", "messages": sorted(todo)})
            if bug:
                acked[n].update(todo)


@node.on_init
def start():
    node.every(0.1, tick)


node.run()
