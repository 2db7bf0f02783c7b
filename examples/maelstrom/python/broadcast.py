#!/usr/bin/env python3
"""Maelstrom broadcast by gossip: every 200 ms each node sends each neighbour
the values that neighbour is not known to have, with the values it heard
from that neighbour since its last gossip (the acknowledgement rides on
the next gossip), so values cross partitions once they heal.

Planted bug (--bug): a value is offered to each neighbour once and
considered delivered at once (no retry), so a message lost in a partition
is never sent again.
"""
import sys

from dsim_maelstrom import Node

node = Node()
bug = "--bug" in sys.argv[1:]
messages = set()
neighbours = []
acked = {}  # neighbour -> values it is known to have
heard = {}  # neighbour -> values it sent since our last gossip to it


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
    src, got = msg["src"], msg["body"]["messages"]
    messages.update(got)
    known = acked.setdefault(src, set())
    known.update(got)  # the sender has them
    known.update(msg["body"]["ack"])
    heard.setdefault(src, set()).update(got)


def tick():
    for n in neighbours:
        todo = messages - acked[n]
        ack = heard.get(n)
        if todo or ack:
            node.send(n, {"type": "gossip", "messages": sorted(todo), "ack": sorted(ack or ())})
            heard[n] = set()
            if bug:
                acked[n].update(todo)


@node.on_init
def start():
    node.every(0.2, tick)


node.run()
