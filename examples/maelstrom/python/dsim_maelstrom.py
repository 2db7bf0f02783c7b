"""A small Maelstrom node library (stdlib only) that also speaks dsim's
deterministic extension.

Same shape as Maelstrom's demo libraries:

    node = Node()

    @node.handler("echo")
    def echo(msg):
        node.reply(msg, {"type": "echo_ok", "echo": msg["body"]["echo"]})

    node.run()

API: node.node_id, node.node_ids, node.handler(type) (decorator),
node.on(type, fn), node.send(dest, body), node.reply(request, body),
node.rpc(dest, body, callback, timeout=None) (callback gets the reply
message, or a synthetic error code 0 on timeout), node.after(seconds, fn)
(one-shot timer; returns an id for node.cancel(id)), node.every(seconds, fn),
node.now() (seconds), node.random (a random.Random), node.log(text) (stderr),
node.on_init(fn) (called after init, before init_ok is written).

Deterministic mode (docs/maelstrom.md): when `init` carries
{"dsim": {"version": 1, "seed": S}}, the library answers init_ok with
"dsim": 1, seeds node.random with S, reads the virtual time from each
input's "dsim_now" (nanoseconds), turns timers into dsim_set_timer /
dsim_cancel_timer requests and, after each input, writes
{"src": <me>, "dest": "dsim", "body": {"type": "dsim_sync"}}. Without the
extension it runs as a plain Maelstrom node: real time, real timers.
Programs must take time and randomness only from node.now() and
node.random to be reproducible.
"""

import json
import os
import random
import select
import sys
import time


class RPCError(Exception):
    def __init__(self, code, text=""):
        super().__init__(text)
        self.code = code
        self.text = text

    def body(self):
        return {"type": "error", "code": self.code, "text": self.text}


TIMEOUT, NOT_SUPPORTED, TEMPORARILY_UNAVAILABLE, MALFORMED_REQUEST, CRASH, ABORT = 0, 10, 11, 12, 13, 14
KEY_DOES_NOT_EXIST, KEY_ALREADY_EXISTS, PRECONDITION_FAILED, TXN_CONFLICT = 20, 21, 22, 30


class Node:
    def __init__(self):
        self.node_id = None
        self.node_ids = []
        self.deterministic = False
        self.random = random.Random(0)
        self._handlers = {}
        self._callbacks = {}   # msg_id -> (callback, timer id or None)
        self._next_msg_id = 0
        self._timers = {}      # id -> (deadline seconds, fn)  (real-time mode) or fn (dsim mode)
        self._next_timer = 0
        self._now_ns = 0
        self._out = []
        self._init_hooks = []

    # ---- registration
    def handler(self, type_):
        def deco(fn):
            self._handlers[type_] = fn
            return fn
        return deco

    def on(self, type_, fn):
        self._handlers[type_] = fn

    def on_init(self, fn):
        self._init_hooks.append(fn)
        return fn

    # ---- time, randomness, logging
    def now(self):
        return self._now_ns / 1e9 if self.deterministic else time.monotonic()

    def log(self, text):
        sys.stderr.write(str(text) + "\n")
        sys.stderr.flush()

    # ---- messages
    def send(self, dest, body):
        self._out.append(json.dumps({"src": self.node_id, "dest": dest, "body": body}, separators=(",", ":")))

    def reply(self, request, body):
        body = dict(body)
        body["in_reply_to"] = request["body"]["msg_id"]
        self.send(request["src"], body)

    def rpc(self, dest, body, callback, timeout=None):
        self._next_msg_id += 1
        msg_id = self._next_msg_id
        body = dict(body)
        body["msg_id"] = msg_id
        timer = None
        if timeout is not None:
            def expire():
                entry = self._callbacks.pop(msg_id, None)
                if entry:
                    entry[0]({"src": dest, "dest": self.node_id,
                              "body": {"type": "error", "code": TIMEOUT, "text": "rpc timeout",
                                       "in_reply_to": msg_id}})
            timer = self.after(timeout, expire)
        self._callbacks[msg_id] = (callback, timer)
        self.send(dest, body)

    # ---- timers
    def after(self, seconds, fn):
        self._next_timer += 1
        tid = self._next_timer
        if self.deterministic:
            self._timers[tid] = fn
            self.send("dsim", {"type": "dsim_set_timer", "id": tid, "delay_ms": seconds * 1000.0})
        else:
            self._timers[tid] = (time.monotonic() + seconds, fn)
        return tid

    def cancel(self, tid):
        if self._timers.pop(tid, None) is not None and self.deterministic:
            self.send("dsim", {"type": "dsim_cancel_timer", "id": tid})

    def every(self, seconds, fn):
        def tick():
            fn()
            self.after(seconds, tick)
        return self.after(seconds, tick)

    # ---- the loop
    def _flush(self):
        if self._out:
            sys.stdout.write("\n".join(self._out) + "\n")
            self._out.clear()
        sys.stdout.flush()

    def _dispatch(self, msg):
        body = msg["body"]
        t = body.get("type")
        if t == "init":
            self.node_id = body["node_id"]
            self.node_ids = body["node_ids"]
            ext = body.get("dsim")
            if isinstance(ext, dict) and ext.get("version") == 1:
                self.deterministic = True
                self.random = random.Random(ext.get("seed", 0))
            for hook in self._init_hooks:
                hook()
            ok = {"type": "init_ok"}
            if self.deterministic:
                ok["dsim"] = 1
            self.reply(msg, ok)
            # init_ok first: dsim reads the announcement before anything else.
            self._out.insert(0, self._out.pop())
            return
        if t == "dsim_timer":
            fn = self._timers.pop(body["id"], None)
            if fn is not None:
                fn()
            return
        irt = body.get("in_reply_to")
        if irt is not None and irt in self._callbacks:
            cb, timer = self._callbacks.pop(irt)
            if timer is not None:
                self.cancel(timer)
            cb(msg)
            return
        h = self._handlers.get(t)
        if h is None:
            if "msg_id" in body:
                self.reply(msg, RPCError(NOT_SUPPORTED, "no handler for " + str(t)).body())
            return
        try:
            h(msg)
        except RPCError as e:
            if "msg_id" in body:
                self.reply(msg, e.body())

    def _input(self, line):
        msg = json.loads(line)
        now = msg.get("dsim_now")
        if now is not None:
            self._now_ns = now
        self._dispatch(msg)
        if self.deterministic:
            self.send("dsim", {"type": "dsim_sync"})
        self._flush()

    def _fire_due(self):
        now = time.monotonic()
        due = sorted((d, tid) for tid, (d, _) in self._timers.items() if d <= now)
        for _, tid in due:
            entry = self._timers.pop(tid, None)
            if entry:
                entry[1]()
        if due:
            self._flush()

    def run(self):
        fd = sys.stdin.fileno()
        buf = b""
        while True:
            if not self.deterministic and self._timers:
                wait = max(0.0, min(d for d, _ in self._timers.values()) - time.monotonic())
                ready, _, _ = select.select([fd], [], [], wait)
                if not ready:
                    self._fire_due()
                    continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return
            buf += chunk
            while True:
                nl = buf.find(b"\n")
                if nl < 0:
                    break
                line, buf = buf[:nl], buf[nl + 1:]
                if line.strip():
                    self._input(line)
            if not self.deterministic:
                self._fire_due()
