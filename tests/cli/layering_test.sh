#!/usr/bin/env bash
# The core knows no protocol: no file in sim/ or in the generic part of
# analysis/ includes a protocol's header, names a built-in protocol in a
# string ("raft") or uses its namespace (raft::). Protocols reach the loader,
# the runner and the command line only through the registry.
# Usage: layering_test.sh DSIM SOURCE_DIR
set -u
source "$(dirname "$0")/lib.sh"

names=$("$DSIM" protocols --names)
[ -n "$names" ] && pass || fail "dsim protocols --names listed nothing"
files=$(find sim analysis -name '*.h' -o -name '*.cc' | sort)

hits=$(grep -n '#include "protocols/' $files)
[ -z "$hits" ] && pass || fail "sim/ or analysis/ includes a protocol header:
$hits"

for p in $names; do
  hits=$(grep -nE "\"$p\"|\\b$p::" $files)
  [ -z "$hits" ] && pass || fail "sim/ or analysis/ names protocol $p:
$hits"
done

# Each protocol names its messages in one table: no trace shows "unknown",
# whichever node sent the message (coord's lock clients, servers' replies to
# key-value clients).
for sc in teaching/zk-lock-gc-pause teaching/cap-cp teaching/cap-ap-strong teaching/discovery-partitions \
          teaching/lock-gc-pause teaching/multipaxos-leader-crash teaching/paxos-basic teaching/broadcast-lossy \
          teaching/mapreduce-worker-crash teaching/kafka-acks-all-leader-crash; do
  "$DSIM" run "scenarios/$sc.yaml" --quiet --trace "$WORK/t.jsonl" >/dev/null 2>&1
  n=$(grep -c '"type":"unknown"' "$WORK/t.jsonl")
  [ "$n" -eq 0 ] && pass || fail "$sc: $n messages named 'unknown'"
done
# The project's docs and comments stand alone: nothing points readers at
# files outside the repository.
hits=$(git -C "$SRC" grep -nE '\.\./shared|shared/(DESIGN|STYLE|formats|history-format)|\b(DESIGN|STYLE|formats)\.md' -- \
       ':!tests/cli/layering_test.sh' 2>/dev/null)
[ -z "$hits" ] && pass || fail "references to files outside the repository:
$hits"
finish
