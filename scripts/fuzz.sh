#!/usr/bin/env bash
# Coverage-guided fuzzing of dsim's input readers (tests/fuzz/README.md).
#
#   scripts/fuzz.sh                   build build-fuzz, run every target 10 minutes
#   scripts/fuzz.sh --smoke           the CI check: 15 s per target
#   scripts/fuzz.sh --time 3600 fuzz_history
#                                     one target (or several) for an hour each
#   scripts/fuzz.sh --runs 2000000 fuzz_trace_check
#                                     stop after N executions instead of a time
#
# Targets run one after another, one process each (-jobs is not used), so
# fuzzing takes one core. Each target's corpus grows in
# build-fuzz/corpus/<target>, seeded from tests/fuzz/corpus/<seed>, the
# scenario catalogue and the bad-scenario test data. A crash, a sanitizer
# report, a leak, a timeout or an allocation above the cap is a finding: the
# input is saved as build-fuzz/findings/<target>-crash-<sha1> (or leak-,
# timeout-, oom-), the reproduction command is printed, and the script exits 1.
# Exit 2: bad usage or no clang.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=600
runs=""
build_jobs=${FUZZ_BUILD_JOBS:-$(nproc 2>/dev/null || echo 2)}
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) seconds=15 ;;
    --time) seconds=${2:?--time needs seconds}; shift ;;
    --runs) runs=${2:?--runs needs a count}; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    fuzz_*) targets+=("$1") ;;
    *) echo "fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
all=(fuzz_scenario fuzz_trace_check fuzz_history fuzz_report)
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

cxx=${FUZZ_CXX:-}
if [ -z "$cxx" ]; then
  for c in clang++-14 clang++; do
    if command -v "$c" >/dev/null; then cxx=$(command -v "$c"); break; fi
  done
fi
if [ -z "$cxx" ]; then
  echo "fuzz.sh: no clang++ found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
fi

build=build-fuzz
mkdir -p "$build"
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDSIM_FUZZ=ON \
  -DDSIM_BENCH=OFF >"$build/fuzz-cmake.log" 2>&1 || { cat "$build/fuzz-cmake.log" >&2; exit 2; }
start=$(date +%s)
if ! cmake --build "$build" -j "$build_jobs" --target "${targets[@]}" >"$build/fuzz-build.log" 2>&1; then
  tail -50 "$build/fuzz-build.log" >&2
  echo "fuzz.sh: the fuzz build failed (log: $build/fuzz-build.log)" >&2
  exit 2
fi
echo "fuzz.sh: built ${targets[*]} in $(( $(date +%s) - start )) s" >&2

# Seed directories per target (libFuzzer reads them recursively, never
# writes them: new inputs go to the first directory given).
seeds_for() {
  case "$1" in
    # Not scenarios/perf: 100k-node runs make each load take ~100 ms.
    fuzz_scenario) echo "tests/fuzz/corpus/scenario scenarios/teaching scenarios/regression scenarios/bugs scenarios/lb tests/testdata/bad-scenarios" ;;
    fuzz_trace_check|fuzz_report) echo "tests/fuzz/corpus/trace" ;;
    fuzz_history) echo "tests/fuzz/corpus/history" ;;
  esac
}
# Longest input tried: the seeds are under 4 kB (scenario files, traces cut
# to ~40 lines), and parsing cost grows with size, so longer inputs would
# mostly slow the search down.
max_len_for() {
  echo 4096
}

mkdir -p "$build/findings" "$build/logs"
total=0
failed=0
passed=0
printf '%-18s %12s %8s %8s %8s  %s\n' target executions exec/s cov ft result
for t in "${targets[@]}"; do
  corpus="$build/corpus/${t#fuzz_}"
  mkdir -p "$corpus"
  log="$build/logs/$t.log"
  limit=(-max_total_time="$seconds")
  [ -n "$runs" ] && limit=(-runs="$runs")
  # shellcheck disable=SC2046
  "$build/fuzz/$t" "${limit[@]}" -max_len="$(max_len_for "$t")" -timeout=30 -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$build/findings/$t-" \
    "$corpus" $(seeds_for "$t") >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  if [ -z "$execs" ]; then  # a crash ends the run before the final stats
    execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
  fi
  execs=${execs:-0}
  total=$((total + execs))
  if [ $rc -eq 0 ]; then
    result=ok
    passed=$((passed + 1))
  else
    result="FINDING (exit $rc)"
    failed=1
  fi
  printf '%-18s %12s %8s %8s %8s  %s\n' "$t" "$execs" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$result"
  if [ $rc -ne 0 ]; then
    grep -E 'ERROR: |SUMMARY: |^==[0-9]+==|runtime error|Test unit written to' "$log" | head -20 >&2
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    echo "  log: $log" >&2
    [ -n "$artifact" ] && echo "  reproduce: $build/fuzz/$t $artifact" >&2
  fi
done
printf '%-18s %12s\n' total "$total"
echo "fuzz: $passed passed, $((${#targets[@]} - passed)) failed"
exit $failed
