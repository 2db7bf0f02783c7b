#!/usr/bin/env python3
"""Maelstrom echo. Planted bug (--bug): every 5th echo comes back altered."""
import sys

from dsim_maelstrom import Node

node = Node()
bug = "--bug" in sys.argv[1:]
count = 0


@node.handler("echo")
def echo(msg):
    global count
    count += 1
    text = msg["body"]["echo"]
    if bug and count % 5 == 0:
        text = str(text) + "!"
    node.reply(msg, {"type": "echo_ok", "echo": text})


node.run()
