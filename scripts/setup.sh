#!/usr/bin/env bash
# One-command set-up on a fresh Debian 12 machine (the README's two commands).
#
#   scripts/setup.sh run    install what is missing, build (Release), run the default scenario
#   scripts/setup.sh test   install what is missing, build with -Werror, run the whole test
#                           suite, then the same suite under AddressSanitizer + UBSan, then
#                           each libFuzzer target briefly (scripts/fuzz.sh --smoke)
#
# Packages come from Debian only, through sudo when not root. Re-running is
# cheap: installed packages are skipped and builds are incremental.
set -euo pipefail
mode=${1:-run}
cd "$(dirname "$0")/.."

packages=(g++ cmake make git pkg-config libyaml-cpp-dev libboost-graph-dev libboost-program-options-dev
          nlohmann-json3-dev libssl-dev doctest-dev libbenchmark-dev python3 python3-yaml python3-jsonschema
          libxml2-utils parallel)
# The tests also drive the HTML report in a real browser, and end with a
# short libFuzzer run (clang's compiler and sanitizer runtimes), and the
# Slurm sweep script runs on a private single-node Slurm cluster.
[ "$mode" = test ] && packages+=(chromium clang libclang-rt-14-dev munge slurmctld slurmd slurm-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
case "$mode" in
  run)
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDSIM_BENCH=OFF >/dev/null
    cmake --build build -j "$jobs" --target dsim
    echo "setup: built build/dsim; running the default scenario" >&2
    exec build/dsim run scenarios/teaching/broadcast-lossy.yaml --trace build/broadcast-lossy.jsonl
    ;;
  test)
    # Warnings are errors here, as in CI. Benchmarks are built (so they keep
    # compiling) but not run: timings do not belong in tests.
    cmake -S . -B build-ci -DCMAKE_BUILD_TYPE=Release -DDSIM_WERROR=ON -DDSIM_BENCH=ON >/dev/null
    cmake --build build-ci -j "$jobs"
    ctest --test-dir build-ci --output-on-failure -j "$jobs"
    echo "setup: the suite again under AddressSanitizer + UndefinedBehaviorSanitizer" >&2
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDSIM_WERROR=ON -DDSIM_SANITIZE=ON -DDSIM_BENCH=OFF >/dev/null
    cmake --build build-asan -j "$jobs"
    # The tests that replay the whole catalogue many times over (strict traces,
    # sweeps, shrinking every planted bug, the writer round trip, the LB and
    # planted-bug tables, the long catch-up corpus, whole grading batteries
    # and tuning grids, the browser and export checks of big reports, the
    # explore catalogue, which tests/unit/explore_search_test.cc covers in
    # small) ran above in the plain build; under the sanitizers they would take most of
    # CI's time for code the rest of the suite already exercises.
    heavy='^(grade$|tune$|explore$|browser_|exports$|strict|sweep|slurm|shrink_all|hostile|writer: every catalogue|lb catalogue|raft planted bugs|catalogue: every|corpus/raft-catch-up)'
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --test-dir build-asan --output-on-failure -j "$jobs" -E "$heavy"
    echo "setup: a short coverage-guided fuzzing run (scripts/fuzz.sh --smoke)" >&2
    scripts/fuzz.sh --smoke
    ;;
  *)
    echo "usage: scripts/setup.sh run|test" >&2
    exit 2
    ;;
esac
