#!/usr/bin/env bash
# Job completion time versus worker crashes and stragglers, with and without
# backup tasks: one coordinator, six workers, four word-count jobs of 12 map
# and 4 reduce tasks. Crash k takes worker wk down at 300 ms + 900 ms x (k-1)
# for 3 s; a straggler runs its tasks 10x slower. Each row averages
# `dsim run` over SEEDS seeds (network latency differs per seed).
# Usage: protocols/mapreduce/measure.sh DSIM [SEEDS]   (default 20)
set -eu
dsim=$1
seeds=${2:-20}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

scenario() {  # CRASHES STRAGGLERS BACKUP
  local slow=""
  [ "$2" -ge 1 ] && slow="w6: 10"
  [ "$2" -ge 2 ] && slow="w5: 10, w6: 10"
  cat <<Y
version: 1
name: mapreduce-measure
protocol: mapreduce
seed: 1
duration: 30s
nodes: [m, w1, w2, w3, w4, w5, w6]
mapreduce: {jobs: 4, records: 600, map_tasks: 12, reduce_tasks: 4, backup: $3, slow: {$slow}}
network: {latency: {dist: uniform, min: 1ms, max: 5ms}}
Y
  if [ "$1" -ge 1 ]; then
    echo "faults:"
    for k in $(seq 1 "$1"); do echo "  - {at: $((300 + 900 * (k - 1)))ms, crash: w$k, restart_after: 3s}"; done
  fi
  echo "checks: [mapreduce_result, {name: mapreduce_liveness, within: 20s}]"
}

printf "%-8s %-11s %-7s %12s %12s %8s %9s %6s\n" crashes stragglers backup mean_job max_job backups requeued exact
for c in 0 1 2; do
  for s in 0 1 2; do
    for b in false true; do
      scenario "$c" "$s" "$b" >"$dir/s.yaml"
      for seed in $(seq 1 "$seeds"); do
        # The statistics row: run jobs mean max attempts backups requeued ...
        "$dsim" run "$dir/s.yaml" --seed "$seed" 2>&1 | sed -n 's/^mapreduce-measure *//p'
        "$dsim" run "$dir/s.yaml" --seed "$seed" -q >/dev/null 2>&1 && echo held || true
      done | awk -v c="$c" -v s="$s" -v b="$b" -v n="$seeds" '
        $1 == "held" { ok++; next }
        { sub(/ms$/, "", $2); sub(/ms$/, "", $3); mean += $2; if ($3 + 0 > max + 0) max = $3 + 0; bk += $5; rq += $6 }
        END { printf "%-8s %-11s %-7s %10.1fms %10.1fms %8.1f %9.1f %3d/%d\n", c, s, b, mean / n, max, bk / n, rq / n, ok, n }'
    done
  done
done
