#!/usr/bin/env python3
"""What the HTML report must show, computed independently from a trace.

  report_expect.py cursor TRACE              prints a cursor time worth checking
  report_expect.py raft TRACE RESULT YAML    checks a Raft report's self-test RESULT
  report_expect.py install-cursor TRACE      prints the time of a snapshot install that
                                             discards a follower's suffix
  report_expect.py raft-install TRACE RESULT YAML   checks a Raft report at that time
  report_expect.py paxos TRACE RESULT YAML   checks a single-decree Paxos report's
  report_expect.py multipaxos TRACE RESULT YAML   checks a Multi-Paxos report's

RESULT is the JSON the page's #selftest wrote. Exit status 0 when the page
agrees with the trace; otherwise the first disagreement is printed.
"""
import html
import json
import sys

LOGWIN = 40  # the log view shows the last 40 indices of each node's log


def load(path):
    lines = [json.loads(l) for l in open(path)]
    return lines[0], lines[1:]


def cursor(events):
    for e in events:
        if e["kind"] == "truncate":
            return e["t"]
    for e in events:
        if e["kind"] == "restart":
            return e["t"] + 100_000_000
    return events[-1]["t"] // 2


def install_cursor(meta, events):
    """The time of the first install_snapshot that discards a suffix of the
    follower's log and after which some node's log view differs from one
    that ignores installs; fails when the run has none."""
    seen = []
    raft_logs(meta, events, events[-1]["t"], on_install=lambda logs, n, e: install_discards(logs, n, e)
              and seen.append(e["t"]))
    for t in seen:
        if raft_logs(meta, events, t) != raft_logs(meta, events, t, installs=False):
            return t
    fail("no install_snapshot discards a suffix of a follower's log (%d discard one)" % len(seen))


def fail(msg):
    print("report_expect: " + msg, file=sys.stderr)
    sys.exit(1)


def putter(logs, puts):
    """Puts an entry; counts the different entries an index has held (more
    than one: the page marks the entry as having replaced another)."""
    def put(n, i, entry):
        if logs[n].get(i) == entry:
            return  # the same entry again
        logs[n][i] = entry
        puts[n][i] = puts[n].get(i, 0) + 1
    return put


def install_discards(logs, n, e):
    """Whether installing snapshot event e discards entries after its index
    from node n's log (its own entry there has another term, or none)."""
    i = e["index"]
    own = logs[n].get(i)
    return not (own and own[0] == e["term"]) and any(j > i for j in logs[n])


def raft_logs(meta, events, t, installs=True, on_install=None):
    """Each node's log at time t (after every event at t), by Raft's events
    (installs=False: as if install_snapshot were not understood)."""
    logs = {n: {} for n in meta["nodes"]}
    puts = {n: {} for n in meta["nodes"]}
    put = putter(logs, puts)
    commit = {n: -1 for n in meta["nodes"]}
    applied = {n: -1 for n in meta["nodes"]}
    for e in events:
        if e["t"] > t:
            break
        n, k = e["node"], e["kind"]
        if n not in logs:
            continue
        if k == "append":
            put(n, e["index"], (e["term"], e["cmd"]))
        elif k == "truncate":
            logs[n] = {i: v for i, v in logs[n].items() if i < e["from"]}
        elif k == "recover":
            logs[n] = {i: v for i, v in logs[n].items() if i <= e["log_len"]}
        elif k == "install_snapshot" and installs:
            # The follower keeps its log if its entry at the index has the
            # snapshot's term; otherwise its log is the committed prefix, as
            # the first other node (in the trace's order) with that entry
            # holds it, or, when none does, one "(snapshot)" entry at the
            # index; nothing after the index stays.
            if on_install:
                on_install(logs, n, e)
            i, term = e["index"], e["term"]
            own = logs[n].get(i)
            if not (own and own[0] == term):
                donor = next((m for m in meta["nodes"] if m != n and logs[m].get(i, (None,))[0] == term), None)
                if donor is not None:
                    logs[n] = {j: v for j, v in logs[n].items() if j > i or j in logs[donor]}
                    for j in sorted(logs[donor]):
                        if j <= i:
                            put(n, j, logs[donor][j])
                else:
                    put(n, i, (term, "(snapshot)"))
                logs[n] = {j: v for j, v in logs[n].items() if j <= i}
            commit[n] = max(commit[n], i)
            applied[n] = max(applied[n], i)
        elif k == "commit":
            commit[n] = e["index"]
        elif k == "apply":
            applied[n] = e["index"]
        elif k == "crash":
            commit[n] = applied[n] = -1
    out = []
    for n in meta["nodes"]:
        length = max(logs[n]) if logs[n] else -1
        entries = [[i, logs[n][i][0], logs[n][i][1], i <= commit[n], i <= applied[n], puts[n][i] > 1]
                   for i in range(max(0, length - LOGWIN + 1), length + 1) if i in logs[n]]
        out.append({"node": n, "len": length, "commit": commit[n], "applied": applied[n], "entries": entries})
    return out


def multipaxos_logs(meta, events, t):
    """Each replica's log at time t: the slots its acceptor accepted, which
    it learned were decided (forgotten at a crash), how far it applied."""
    logs = {n: {} for n in meta["nodes"]}
    puts = {n: {} for n in meta["nodes"]}
    put = putter(logs, puts)
    decided = {n: set() for n in meta["nodes"]}
    applied = {n: -1 for n in meta["nodes"]}
    for e in events:
        if e["t"] > t:
            break
        n, k = e["node"], e["kind"]
        if n not in logs:
            continue
        if k == "accepted":
            put(n, e["slot"], (e["ballot"], e["value"]))
        elif k == "learned":
            decided[n].add(e["slot"])
        elif k == "apply":
            applied[n] = e["slot"]
        elif k == "crash":
            decided[n] = set()
            applied[n] = -1
    out = []
    for n in meta["nodes"]:
        length = max(logs[n]) if logs[n] else -1
        entries = [[i, logs[n][i][0], logs[n][i][1], i in decided[n], i <= applied[n], puts[n][i] > 1]
                   for i in range(max(0, length - LOGWIN + 1), length + 1) if i in logs[n]]
        out.append({"node": n, "len": length, "commit": max(decided[n], default=-1), "applied": applied[n],
                    "entries": entries})
    return out


def check_logs(r, want, t):
    if r["logs"] != want:
        for got, exp in zip(r["logs"], want):
            if got != exp:
                fail("node %s at t=%d: page %r\n  trace %r" % (exp["node"], t, got, exp))
        fail("log rows differ: %r vs %r" % (r["logs"], want))
    if not any(row["entries"] for row in want):
        fail("vacuous: no node has a log entry at the cursor")
    replaced = sum(1 for row in want for e in row["entries"] if e[5])
    print("log view: %d nodes, %d entries, %d replaced ones, agree with the trace at t=%d"
          % (len(want), sum(len(row["entries"]) for row in want), replaced, t))


def check_message(r, events):
    """The hovered arrow and the clicked delivery show the send's contents."""
    h = r.get("hover")
    if not h or not h["shown"]:
        fail("no message tooltip on hover: %r" % (h,))
    send = next(e for e in events if e["kind"] == "send" and e["msg"] == h["msg"])
    def shown(v):  # as dsim show writes a value
        if isinstance(v, bool):
            return json.dumps(v)
        if isinstance(v, str) and (v == "" or " " in v):
            return '"%s"' % v
        return str(v)
    contents = ["%s=%s" % (k, shown(v)) for k, v in send.items() if k not in ("t", "node", "kind", "msg", "to", "type")]
    if not contents:
        fail("the message has no traced contents: %r" % send)
    for text, where in ((h["tip"], "tooltip"), (r.get("detail", ""), "detail after a click"),
                        (r.get("deliverRow", ""), "delivery row")):
        want = [send["type"], "msg=%d" % send["msg"]] + contents
        missing = [w for w in want if w not in text]
        if missing:
            fail("%s lacks %r: %r" % (where, missing, text))


def shown_value(v):
    """A field's value as dsim show writes it."""
    if isinstance(v, bool):
        return json.dumps(v)
    if isinstance(v, str) and (v == "" or " " in v):
        return '"%s"' % v
    return str(v)


def check_event_rows(r, events):
    """The event list around the log cursor: each row other than a message's
    (whose text comes from the message table) reads time, node, kind and
    the event's own fields, as the trace has them (timers are not listed)."""
    listed = [e for e in events if e["kind"] != "timer"]
    rows = r.get("eventRows") or []
    plain = 0
    for i, text in rows:
        e = listed[i]
        if e["kind"] in ("send", "deliver", "drop"):
            continue
        fields = " ".join("%s=%s" % (k, shown_value(v)) for k, v in e.items() if k not in ("t", "node", "kind"))
        node = "*" if e["node"] in ("*", "$ext") else e["node"]
        want = "%.6fs  %s  %s" % (e["t"] / 1e9, node, e["kind"] + (" " + fields if fields else ""))
        if text != want:
            fail("event row %d reads %r, the trace says %r" % (i, text, want))
        plain += 1
    if plain == 0:
        fail("no event row other than messages to check: %r" % rows)


def check_common(r, events, yaml_path, kind):
    if r["errors"]:
        fail("console errors: %r" % r["errors"])
    check_message(r, events)
    check_event_rows(r, events)
    ks = r.get("kindStep")
    if not ks or ks["kinds"] != [kind, kind] or ks["first"] != ks["firstExpected"] or not ks["second"] > ks["first"] \
            or ks["back"] != ks["first"]:
        fail("stepping by kind went wrong: %r" % (ks,))
    words = " ".join(r["narration"].split())
    if len(words) < 20 or words[:60] not in " ".join(open(yaml_path).read().split()):
        fail("the narration is not the scenario's description: %r" % r["narration"])


def main():
    mode, trace = sys.argv[1], sys.argv[2]
    meta, events = load(trace)
    if mode == "cursor":
        print(cursor(events))
        return
    if mode == "install-cursor":
        print(install_cursor(meta, events))
        return
    r = json.loads(html.unescape(sys.argv[3]))
    t = install_cursor(meta, events) if mode == "raft-install" else cursor(events)
    if r.get("logT") != t:
        fail("the page's cursor is %r, not %r" % (r.get("logT"), t))
    if mode == "raft":
        check_common(r, events, sys.argv[4], "commit")
        check_logs(r, raft_logs(meta, events, t), t)
    elif mode == "raft-install":
        # The cursor is just after a snapshot install that discarded a
        # suffix: the page must agree with the rule above, and the rule must
        # matter there (without it some node would show other entries).
        check_common(r, events, sys.argv[4], "commit")
        want = raft_logs(meta, events, t)
        if want == raft_logs(meta, events, t, installs=False):
            fail("at t=%d the install rule changes no node's log: the case checks nothing" % t)
        check_logs(r, want, t)
    elif mode == "multipaxos":
        check_common(r, events, sys.argv[4], "learned")
        check_logs(r, multipaxos_logs(meta, events, t), t)
    elif mode == "paxos":
        check_common(r, events, sys.argv[4], "accepted")
        # The columns and the events that set them (an acceptor's state).
        sources = {"promised": [("promise", "ballot"), ("nack", "promised"), ("recover", "promised")],
                   "accepted ballot": [("accepted", "ballot"), ("promise", "accepted_ballot"),
                                       ("recover", "accepted_ballot")],
                   "accepted value": [("accepted", "value"), ("promise", "accepted_value")],
                   "learned": [("learned", "value")]}
        if r["stateLabels"] != list(sources):
            fail("state columns %r" % r["stateLabels"])
        want = []
        for n in meta["nodes"]:
            row = {c: "" for c in sources}
            for e in events:
                if e["t"] > t:
                    break
                if e["node"] != n:
                    continue
                for c, keys in sources.items():
                    for kind, key in keys:
                        if e["kind"] == kind and key in e:
                            row[c] = str(e[key])
            want.append([row[c] for c in sources])
        if r["stateAtT"] != want:
            fail("acceptor state at t=%d: page %r\n  trace %r" % (t, r["stateAtT"], want))
        if not any(v for row in want for v in row):
            fail("vacuous: no acceptor state at the cursor")
    else:
        fail("unknown mode " + mode)


main()
