#!/usr/bin/env bash
# Maelstrom-protocol nodes (protocols/maelstrom, examples/maelstrom): the
# example programs pass under faults and their planted bugs are caught, a
# deterministic-mode rerun gives a byte-identical trace, plain programs run
# in a labelled best-effort mode, and misbehaving programs end the run with
# exit 3 and a message naming the node and the cause, within bounded time.
# Usage: maelstrom_test.sh DSIM SOURCE_DIR [CPP_BROADCAST_NODE]
set -u
CPP_NODE=${3:-}
[ -n "$CPP_NODE" ] && CPP_NODE=$(cd "$(dirname "$CPP_NODE")" && pwd)/$(basename "$CPP_NODE")
. "$(dirname "$0")/lib.sh"
if ! command -v python3 >/dev/null; then
  echo "SKIP: python3 is not installed; the Maelstrom example nodes are Python programs"
  exit 0
fi
EX=examples/maelstrom/scenarios
export TMPDIR=$WORK  # the nodes' stderr logs land in the test's directory

# ---- Correct programs hold under faults; planted bugs are caught.
for s in echo unique-ids broadcast-partition broadcast-nemesis g-counter pn-counter kafka lin-kv; do
  expect_exit 0 "$s passes" -- "$DSIM" run "$EX/maelstrom-$s.yaml"
  grep -q "held         maelstrom" "$WORK/err" || fail "$s: the maelstrom check did not hold: $(cat "$WORK/err")"
done
declare -A CAUGHT=(
  [echo-bug]="was answered with"
  [unique-ids-bug]="was generated twice"
  [broadcast-no-retry]="lost: value"
  [g-counter-blind-write]="the acknowledged adds sum to"
  [g-counter-stale-read]="the acknowledged adds sum to"
  [kafka-lost-write]="lost write: message"
  [lin-kv-stale-reads]="is not linearizable"
)
for s in "${!CAUGHT[@]}"; do
  expect_exit 0 "$s: the planted bug is caught (expect: violated)" -- "$DSIM" run "$EX/maelstrom-$s.yaml"
  grep -q "${CAUGHT[$s]}" "$WORK/err" || fail "$s: no '${CAUGHT[$s]}' in: $(cat "$WORK/err")"
done

# ---- Determinism: the same seed gives the same trace, byte for byte.
"$DSIM" run "$EX/maelstrom-broadcast-partition.yaml" --trace "$WORK/a.jsonl" >"$WORK/a.out" 2>&1
"$DSIM" run "$EX/maelstrom-broadcast-partition.yaml" --trace "$WORK/b.jsonl" >"$WORK/b.out" 2>&1
if cmp -s "$WORK/a.jsonl" "$WORK/b.jsonl" && [ -s "$WORK/a.jsonl" ]; then pass; else fail "broadcast: two runs of seed 1 differ"; fi
grep -q '"kind":"m_mode".*"mode":"deterministic"' "$WORK/a.jsonl" && pass || fail "broadcast: the trace does not say deterministic"
"$DSIM" run "$EX/maelstrom-broadcast-partition.yaml" --seed 2 --trace "$WORK/c.jsonl" >/dev/null 2>&1
if cmp -s "$WORK/a.jsonl" "$WORK/c.jsonl"; then fail "seeds 1 and 2 gave the same trace"; else pass; fi
# The C++ library runs the same algorithm: the same trace, event for event
# (only the header's scenario path differs).
if [ -n "$CPP_NODE" ]; then
  sed "s|command: python3|command: $CPP_NODE|; s|  args: \[examples/maelstrom/python/broadcast.py\]|  args: []|" \
    "$EX/maelstrom-broadcast-partition.yaml" >"$WORK/cpp.yaml"
  expect_exit 0 "C++ broadcast node" -- "$DSIM" run "$WORK/cpp.yaml" --trace "$WORK/cpp.jsonl"
  if cmp -s <(tail -n +2 "$WORK/a.jsonl") <(tail -n +2 "$WORK/cpp.jsonl"); then pass; else fail "the C++ and Python broadcast traces differ"; fi
  sed -i 's|  args: \[\]|  args: [--bug]|; s|^checks: \[maelstrom\]|checks: [maelstrom]\nexpect: {violated: [maelstrom]}|' "$WORK/cpp.yaml"
  expect_exit 0 "C++ broadcast node: the planted bug is caught" -- "$DSIM" run "$WORK/cpp.yaml"
fi
# The offline checker agrees with the online one.
expect_exit 0 "dsim check on a maelstrom trace" -- "$DSIM" check "$WORK/a.jsonl"

# ---- Scenarios for the misbehaving programs.
scenario() {  # scenario NAME KIND [extra maelstrom keys...]
  local f="$WORK/$1.yaml"; shift
  local kind=$1; shift
  {
    printf 'version: 1\nname: maelstrom-%s\nprotocol: maelstrom\nseed: 1\nduration: 2s\nnodes: 2\n' "$kind"
    printf 'maelstrom:\n  command: python3\n  args: [tests/cli/maelstrom_nodes/misbehave.py, %s]\n' "$kind"
    printf '  workload: echo\n  log_dir: %s/logs\n' "$WORK"
    for k in "$@"; do printf '  %s\n' "$k"; done
    printf 'workload: {requests: 10, start: 100ms, interval: 50ms}\nchecks: [maelstrom]\n'
  } >"$f"
  echo "$f"
}
misbehave() {  # misbehave KIND PATTERN [extra keys]: exit 3, the node and the cause named, quickly
  local kind=$1 pattern=$2; shift 2
  local f; f=$(scenario "$kind" "$kind" "$@")
  local start=$SECONDS
  timeout 30 "$DSIM" run "$f" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  [ "$got" -eq 3 ] && pass || fail "$kind: exit $got, want 3 ($(cat "$WORK/err"))"
  grep -Eq "maelstrom node n[12] \(python3\)" "$WORK/err" && pass || fail "$kind: the error does not name the node and its program: $(cat "$WORK/err")"
  grep -q -- "$pattern" "$WORK/err" && pass || fail "$kind: no '$pattern' in: $(cat "$WORK/err")"
  [ $((SECONDS - start)) -lt 20 ] && pass || fail "$kind: took $((SECONDS - start))s"
}
misbehave garbage "stdout line 1: not JSON: hello, I am not JSON"
misbehave exit "exited before answering init (exited with status 3)"
grep -q "giving up on purpose" "$WORK/err" && pass || fail "exit: the program's last stderr is not shown"
misbehave silent "no init_ok within 1000ms" "init_timeout: 1s"
misbehave no-sync "no dsim_sync within 1000ms" "reply_timeout: 1s"
misbehave bad-dest 'unknown destination "n9"'
misbehave chatty 'wrote output after its dsim_sync, outside any input'
misbehave no-body 'missing object field "body"'
f=$(scenario missing garbage)
sed -i 's|command: python3|command: /nonexistent/node-program|' "$f"
expect_exit 3 "a program that does not exist" -- timeout 30 "$DSIM" run "$f"
grep -q "cannot execute /nonexistent/node-program: No such file" "$WORK/err" && pass || fail "missing program: $(cat "$WORK/err")"
# No child outlives dsim (every exit path kills them).
sleep 0.2
if pgrep -f "maelstrom_nodes/misbehave.py" >/dev/null; then fail "a misbehave.py process survived"; else pass; fi

# SIGINT while dsim waits on a silent program: exit 130, and the program dies with dsim.
f=$(scenario sigint silent "init_timeout: 20s")
"$DSIM" run "$f" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do pgrep -P "$pid" >/dev/null && break; sleep 0.1; done
child=$(pgrep -P "$pid" | head -1)
kill -INT "$pid"
wait "$pid"
got=$?
[ "$got" -eq 130 ] && pass || fail "SIGINT: exit $got, want 130"
sleep 0.3
# (a zombie left for init to reap is dead: only a running or sleeping one counts)
state=$( [ -n "$child" ] && awk '{print $3}' "/proc/$child/stat" 2>/dev/null)
if [ -n "$state" ] && [ "$state" != Z ]; then fail "SIGINT: the node program $child survived dsim"; else pass; fi

# ---- Plain Maelstrom programs: best effort, labelled as not reproducible.
f=$(scenario plain plain-echo)
expect_exit 0 "plain echo runs in best-effort mode" -- "$DSIM" run "$f" --trace "$WORK/plain.jsonl"
grep -q "best-effort mode: not reproducible" "$WORK/err" && pass || fail "plain: the result is not labelled best-effort: $(cat "$WORK/err")"
grep -q "NOT reproducible" "$WORK/err" && pass || fail "plain: no warning on stderr"
grep -q '"reproducible":false' "$WORK/plain.jsonl" && pass || fail "plain: the trace does not say it is not reproducible"
grep -q "plain-echo n1 started, PYTHONHASHSEED=0" "$WORK/logs/n1.stderr" && pass || fail "plain: n1's stderr was not captured, or PYTHONHASHSEED is not 0: $(cat "$WORK/logs/n1.stderr")"
f=$(scenario chosen plain-echo "mode: best-effort")
expect_exit 0 "mode: best-effort runs a plain program" -- "$DSIM" run "$f" --trace "$WORK/chosen.jsonl"
head -1 "$WORK/chosen.jsonl" | grep -q '"reproducible":false' && pass || fail "best-effort: the trace header does not say it is not reproducible"
head -1 "$WORK/plain.jsonl" | grep -q '"reproducible"' && fail "auto mode: the header cannot know yet, but says reproducible" || pass
f=$(scenario strict plain-echo "mode: deterministic")
expect_exit 3 "mode: deterministic refuses a plain program" -- "$DSIM" run "$f"
grep -q "does not announce the dsim extension" "$WORK/err" && pass || fail "strict: $(cat "$WORK/err")"

# ---- A vacuous run (no requests) is inconclusive, never held.
f=$(scenario vacuous plain-echo)
sed -i 's/requests: 10/requests: 0/' "$f"
expect_exit 5 "no requests: inconclusive" -- "$DSIM" run "$f"

# ---- Bad sections are scenario errors with a location.
printf 'version: 1\nname: x\nprotocol: maelstrom\nduration: 1s\nnodes: 2\nmaelstrom: {command: python3, workload: kafak}\n' >"$WORK/bad.yaml"
expect_exit 3 "unknown workload" -- "$DSIM" run "$WORK/bad.yaml"
grep -q "bad.yaml:6:.*kafka" "$WORK/err" && pass || fail "bad workload: $(cat "$WORK/err")"
printf 'version: 1\nname: x\nprotocol: maelstrom\nduration: 1s\nnodes: [n1, seq-kv, n2]\nmaelstrom: {command: python3}\n' >"$WORK/bad2.yaml"
expect_exit 3 "services after servers" -- "$DSIM" run "$WORK/bad2.yaml"
grep -q "come after every server" "$WORK/err" && pass || fail "layout: $(cat "$WORK/err")"

printf 'version: 1\nname: x\nprotocol: maelstrom\nduration: 1s\nnodes: 2\nmaelstrom: {command: python3, services: [seq-kv]}\n' >"$WORK/bad3.yaml"
expect_exit 3 "a service the program needs is not a node" -- "$DSIM" run "$WORK/bad3.yaml"
grep -q "seq-kv is not in the node list" "$WORK/err" && pass || fail "services: $(cat "$WORK/err")"

# ---- dsim shrink works on a Maelstrom scenario, and keeps the services.
expect_exit 0 "shrink the kafka lost write" -- "$DSIM" shrink "$EX/maelstrom-kafka-lost-write.yaml" --seed 1 -o "$WORK/shrunk.yaml"
expect_exit 0 "the shrunk scenario still shows the lost write" -- "$DSIM" run "$WORK/shrunk.yaml"
grep -q "lost write" "$WORK/err" && pass || fail "shrunk: $(cat "$WORK/err")"
grep -q "requests: 150" "$WORK/shrunk.yaml" && fail "shrink did not reduce the requests" || pass

finish
