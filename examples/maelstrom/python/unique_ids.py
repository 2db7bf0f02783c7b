#!/usr/bin/env python3
"""Maelstrom unique-ids: the node's id, a random incarnation number drawn at
start (a restarted process has lost its counter) and a counter. Planted bug
(--bug): the counter alone, so nodes generate the same ids."""
import sys

from dsim_maelstrom import Node

node = Node()
bug = "--bug" in sys.argv[1:]
counter = 0
incarnation = 0


@node.on_init
def start():
    global incarnation
    incarnation = node.random.getrandbits(48)


@node.handler("generate")
def generate(msg):
    global counter
    counter += 1
    node.reply(msg, {"type": "generate_ok", "id": counter if bug else "%s-%x-%d" % (node.node_id, incarnation, counter)})


node.run()
