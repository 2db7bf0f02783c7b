#!/usr/bin/env bash
# Outputs never clobber (issue 15): FIFOs and character devices are written
# into, not replaced; planted .partial symlinks and symlinked targets are not
# followed; a full disk (/dev/full) exits 6 naming the file; a locked
# results file refuses a second sweep; --resume refuses an edited scenario
# and counts only its own seeds; fatal signals leave no temporary file;
# control characters from user files are escaped on the terminal.
# Usage: output_test.sh PATH/TO/dsim SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh"

LOSSY=scenarios/teaching/broadcast-lossy.yaml
no_temp_left() {  # no_temp_left WHAT: no *.partial anywhere under $WORK
  local left
  left=$(find "$WORK" -name '*.partial*' | head -3)
  [ -z "$left" ] && pass || fail "$1 left temporary files: $left"
}

# --- A FIFO is written into, and stays a FIFO --------------------------------
mkfifo "$WORK/fifo"
timeout 20 cat "$WORK/fifo" >"$WORK/fifo.json" &  # a replaced FIFO would leave it waiting
reader=$!
expect_exit 0 "--json into a FIFO" -- timeout 60 "$DSIM" run "$LOSSY" --seed 7 --json "$WORK/fifo"
wait "$reader"
[ -p "$WORK/fifo" ] && pass || fail "--json replaced the FIFO"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/fifo.json" && pass || fail "no JSON came through the FIFO"
timeout 20 cat "$WORK/fifo" >"$WORK/fifo.jsonl" &
reader=$!
expect_exit 0 "--trace into a FIFO" -- timeout 60 "$DSIM" run "$LOSSY" --seed 7 --trace "$WORK/fifo"
wait "$reader"
[ -p "$WORK/fifo" ] && head -1 "$WORK/fifo.jsonl" | grep -q '"kind":"meta"' && pass || fail "--trace into a FIFO"
no_temp_left "writing a FIFO"

# --- A character device (a private /dev/null) stays a device ---------------
if mknod "$WORK/null" c 1 3 2>/dev/null; then
  for flag in --json --trace --report; do
    expect_exit 0 "$flag into a character device" -- "$DSIM" run "$LOSSY" --seed 7 -q $flag "$WORK/null"
    [ -c "$WORK/null" ] && pass || fail "$flag replaced the character device with a regular file"
  done
  "$DSIM" run "$LOSSY" --seed 7 -q --trace "$WORK/t.jsonl"
  expect_exit 0 "export -o a character device" -- "$DSIM" export "$WORK/t.jsonl" --format perfetto -o "$WORK/null"
  [ -c "$WORK/null" ] && pass || fail "export -o replaced the character device"
  ln -s "$WORK/null" "$WORK/null-link"
  expect_exit 0 "--json through a symlink to a device" -- "$DSIM" run "$LOSSY" --seed 7 -q --json "$WORK/null-link"
  [ -L "$WORK/null-link" ] && [ -c "$WORK/null" ] && pass || fail "the symlink to a device was replaced"
else
  echo "SKIP: mknod is not permitted here (not root); the character-device checks did not run"
fi

# --- - and /dev/stdout are stdout -------------------------------------------
# Never name a real /dev node as root: a broken dsim would replace it for
# the whole machine. A symlink to /proc/self/fd/1 (a pipe) stands in.
"$DSIM" run "$LOSSY" --seed 7 -q --trace - >"$WORK/stdout.jsonl" 2>/dev/null
head -1 "$WORK/stdout.jsonl" | grep -q '"kind":"meta"' && pass || fail "--trace - did not write stdout"
ln -s /proc/self/fd/1 "$WORK/stdout-link"
"$DSIM" run "$LOSSY" --seed 7 -q --trace "$WORK/stdout-link" 2>/dev/null | cat >"$WORK/linkstdout.jsonl"
cmp -s "$WORK/stdout.jsonl" "$WORK/linkstdout.jsonl" && pass || fail "--trace through a symlink to a pipe differs from --trace -"
[ -L "$WORK/stdout-link" ] && pass || fail "the symlink to stdout was replaced"
if [ "$(id -u)" -ne 0 ]; then
  "$DSIM" run "$LOSSY" --seed 7 -q --trace /dev/stdout >"$WORK/devstdout.jsonl" 2>/dev/null
  cmp -s "$WORK/stdout.jsonl" "$WORK/devstdout.jsonl" && pass || fail "--trace /dev/stdout differs from --trace -"
fi

# --- Planted symlinks are never followed --------------------------------------
echo precious >"$WORK/victim"
ln -s "$WORK/victim" "$WORK/out.json.partial"
for i in $(seq 0 20); do ln -s "$WORK/victim" "$WORK/out.json.$$.$i.partial"; done
expect_exit 0 "--json beside a planted .partial symlink" -- "$DSIM" run "$LOSSY" --seed 7 -q --json "$WORK/out.json"
[ "$(cat "$WORK/victim")" = precious ] && pass || fail "a planted .partial symlink was followed"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/out.json" && pass || fail "--json output missing"
ln -s "$WORK/victim" "$WORK/link.json"
expect_exit 74 "--json onto a symlink to a regular file is refused" -- "$DSIM" run "$LOSSY" --seed 7 -q --json "$WORK/link.json"
grep -q "symlink $WORK/link.json" "$WORK/err" && pass || fail "the refusal does not name the symlink: $(cat "$WORK/err")"
[ -L "$WORK/link.json" ] && [ "$(cat "$WORK/victim")" = precious ] && pass || fail "the symlinked target was touched"
expect_exit 74 "--trace into a missing directory" -- "$DSIM" run "$LOSSY" --seed 7 -q --trace "$WORK/no/such/dir/t.jsonl"
grep -q "No such file or directory" "$WORK/err" && pass || fail "no strerror in: $(cat "$WORK/err")"
rm -f "$WORK"/out.json.*partial "$WORK/out.json.partial"
no_temp_left "the symlink checks"

# --- A full disk: exit 6, the file and strerror named ------------------------
# As root, a private copy of /dev/full (see above: never risk the real one);
# otherwise /dev/full itself, which a non-root dsim cannot replace.
FULL=/dev/full
mknod "$WORK/full" c 1 7 2>/dev/null && FULL=$WORK/full
if [ "$FULL" = /dev/full ] && [ "$(id -u)" -eq 0 ]; then
  echo "SKIP: root without mknod; the full-disk checks did not run"
else
  expect_exit 6 "--json to a full device" -- "$DSIM" run "$LOSSY" --seed 7 -q --json "$FULL"
  grep -q "$FULL: No space left on device" "$WORK/err" && pass || fail "ENOSPC not reported: $(cat "$WORK/err")"
  expect_exit 6 "--trace to a full device" -- "$DSIM" run "$LOSSY" --seed 7 -q --trace "$FULL"
  expect_exit 6 "sweep --results to a full device" -- "$DSIM" sweep "$LOSSY" --seeds 1..3 -j 1 -q --progress never --results "$FULL"
  grep -q "$FULL: No space left on device" "$WORK/err" && pass || fail "sweep ENOSPC not reported: $(cat "$WORK/err")"
  expect_exit 6 "sweep --junit to a full device" -- "$DSIM" sweep "$LOSSY" --seeds 1..2 -j 1 -q --progress never --junit "$FULL"
  [ -c "$FULL" ] && pass || fail "the full device was replaced"
fi
"$DSIM" --help | grep -q "^  6 " && "$DSIM" --help | grep -q "^  74 " && pass || fail "--help does not list exit codes 6 and 74"

# --- A full file system: a large trace's temporary file runs out of room ------
# A 4 MiB tmpfs (where this user may mount one) and a trace of about 20 MiB:
# the writer's thread hits ENOSPC part way (after the first writeback
# hints); exit 6 naming the file, and neither the trace nor its temporary
# file is left.
mkdir "$WORK/small"
if mount -t tmpfs -o size=4m tmpfs "$WORK/small" 2>/dev/null; then
  trap 'umount "$WORK/small" 2>/dev/null; rm -rf "$WORK"' EXIT  # never leave the mount behind
  expect_exit 6 "--trace onto a full file system" -- "$DSIM" run scenarios/perf/raft-5-nodes-1000rps.yaml -q --until 6s --trace "$WORK/small/t.jsonl"
  grep -q "cannot write $WORK/small/t.jsonl: No space left on device" "$WORK/err" && pass || fail "ENOSPC on a file system not reported: $(cat "$WORK/err")"
  [ -z "$(ls -A "$WORK/small")" ] && pass || fail "a full file system kept: $(ls -A "$WORK/small")"
  umount "$WORK/small" && trap 'rm -rf "$WORK"' EXIT
else
  echo "SKIP: cannot mount a small tmpfs; the full-file-system check did not run"
fi

# --- One writer per results file ---------------------------------------------
echo '{"not":"touched"}' >"$WORK/locked.jsonl"
if command -v flock >/dev/null; then
  flock -n "$WORK/locked.jsonl" sleep 30 &
  holder=$!
  sleep 0.3
  expect_exit 74 "a second writer of a locked results file" -- "$DSIM" sweep "$LOSSY" --seeds 1..2 -q --progress never \
    --results "$WORK/locked.jsonl"
  grep -q "locked by another dsim process" "$WORK/err" && pass || fail "no clear lock message: $(cat "$WORK/err")"
  grep -q '"not":"touched"' "$WORK/locked.jsonl" && pass || fail "the locked results file was truncated"
  kill "$holder"
  wait "$holder" 2>/dev/null
else
  echo "SKIP: flock(1) is not installed; the lock check did not run"
fi

# --- --resume: the scenario must be unchanged; only this range counts -----------
cp "$LOSSY" "$WORK/lossy.yaml"
expect_exit 0 "sweep seeds 1..4" -- "$DSIM" sweep "$WORK/lossy.yaml" --seeds 1..4 -j 1 --progress never --results "$WORK/r.jsonl"
expect_exit 0 "resume seeds 3..6" -- "$DSIM" sweep "$WORK/lossy.yaml" --seeds 3..6 -j 1 --progress never \
  --results "$WORK/r.jsonl" --resume
grep -q "^sweep: 4 runs (2 resumed)" "$WORK/err" && pass || fail "resume counted runs outside its range: $(grep '^sweep:' "$WORK/err")"
expect_exit 0 "resume shard 1/2 of seeds 1..6" -- "$DSIM" sweep "$WORK/lossy.yaml" --seeds 1..6 --shard 1/2 -j 1 \
  --progress never --results "$WORK/r.jsonl" --resume
grep -q "^sweep: 3 runs (3 resumed)" "$WORK/err" && pass || fail "resume counted runs outside its shard: $(grep '^sweep:' "$WORK/err")"
echo "# edited" >>"$WORK/lossy.yaml"
expect_exit 3 "resume after the scenario changed" -- "$DSIM" sweep "$WORK/lossy.yaml" --seeds 1..6 -j 1 --progress never \
  --results "$WORK/r.jsonl" --resume
grep -q "different content of this scenario" "$WORK/err" && pass || fail "no message about the edited scenario: $(cat "$WORK/err")"

# --- Fatal signals: exit 128+signo, no temporary file left --------------------
for sig in HUP USR1 TERM PIPE; do
  "$DSIM" run scenarios/perf/broadcast-1000-nodes.yaml --trace "$WORK/sig.jsonl" --json "$WORK/sig.json" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do  # wait until the trace's temporary file exists
    [ -n "$(find "$WORK" -name 'sig.jsonl.*.partial')" ] && break
    sleep 0.05
  done
  kill -"$sig" "$pid"
  wait "$pid"
  code=$?
  want=$((128 + $(kill -l "$sig")))
  [ "$code" -eq "$want" ] && pass || fail "SIG$sig: exit $code, want $want"
  [ -e "$WORK/sig.jsonl" ] && fail "SIG$sig left a trace file" || pass
  no_temp_left "SIG$sig"
done

# --- Control characters from user files are escaped on the terminal ---------
python3 - "$WORK/esc.jsonl" <<'PY'
import json, sys
nodes = ["a\x1b[2Jb", "c\x00d"]
lines = [{"t": 0, "node": "*", "kind": "meta", "schema": "dsim.trace/1", "nodes": nodes, "checks": []},
         {"t": 1, "node": nodes[0], "kind": "start"},
         {"t": 2, "node": nodes[1], "kind": "note\x1b]0;pwned\x07", "text": "x\x1b[31my\x00z"}]
open(sys.argv[1], "w").write("".join(json.dumps(l) + "\n" for l in lines))
PY
"$DSIM" show "$WORK/esc.jsonl" --color never >"$WORK/show.out" 2>&1
if grep -q $'\x1b' "$WORK/show.out" || tr -d '\n' <"$WORK/show.out" | grep -qP '\x00'; then
  fail "dsim show printed raw ESC or NUL: $(cat -v "$WORK/show.out")"
else
  pass
fi
grep -qF 'a\x1b[2Jb' "$WORK/show.out" && grep -qF 'c\0d' "$WORK/show.out" && pass || fail "show does not escape: $(cat -v "$WORK/show.out")"
printf 'name: esc\nprotocol: broadcast\nnodes: [a, b]\nduration: 1s\nbad\x1b[2J\x00key: 1\n' >"$WORK/esc.yaml"
NO_COLOR=1 "$DSIM" run "$WORK/esc.yaml" >"$WORK/esc.out" 2>&1
grep -q $'\x1b' "$WORK/esc.out" && fail "scenario diagnostics printed a raw ESC: $(cat -v "$WORK/esc.out")" || pass
printf '{"t":0,"node":"*","kind":"meta","schema":"dsim.trace/1","nodes":["a"]}\n{"t":1,\x1b[2J\n' >"$WORK/bad.jsonl"
NO_COLOR=1 "$DSIM" check "$WORK/bad.jsonl" >"$WORK/check.out" 2>&1
grep -q $'\x1b' "$WORK/check.out" && fail "dsim check printed a raw ESC: $(cat -v "$WORK/check.out")" || pass

# --- The HTML report: no attribute injection from a trace's names ----------
"$DSIM" run scenarios/bugs/raft-commit-previous-term.yaml -q --trace "$WORK/raft.jsonl"
python3 "$(dirname "$0")/inject_trace.py" "$WORK/raft.jsonl" "$WORK/evil.jsonl"
expect_exit 0 "report of a trace with a hostile node name" -- "$DSIM" report "$WORK/evil.jsonl" -o "$WORK/evil.html"
python3 "$(dirname "$0")/check_report_csp.py" "$WORK/evil.html" && pass || fail "report CSP or escaping"

# --- An output never replaces an input of the same command ---------------------
cp "$WORK/raft.jsonl" "$WORK/own.jsonl"
sum_before=$(sha256sum <"$WORK/own.jsonl")
expect_exit 74 "report written over its own trace" -- "$DSIM" report "$WORK/own.jsonl" -o "$WORK/own.jsonl"
grep -q "refusing to replace $WORK/own.jsonl: it is an input of this command" "$WORK/err" && pass || fail "no reason given: $(cat "$WORK/err")"
ln "$WORK/own.jsonl" "$WORK/own-link.jsonl"
expect_exit 74 "export written over a hard link to its trace" -- "$DSIM" export "$WORK/own.jsonl" --format shiviz -o "$WORK/own-link.jsonl"
[ "$(sha256sum <"$WORK/own.jsonl")" = "$sum_before" ] && pass || fail "the input trace was changed"
ls "$WORK"/own*.partial >/dev/null 2>&1 && fail "a temporary file was left behind" || pass

finish
