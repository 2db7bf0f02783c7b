#!/usr/bin/env bash
# The installed package is enough to write a protocol: install this build
# into a temporary prefix, build examples/two-phase-commit against it (a
# copy outside the source tree, with find_package(dsim)), and run the
# walk-through of docs/writing-a-protocol.md with the example's binary:
# run, a planted bug caught, sweep, check, shrink, report. Internal headers
# (sim/...) must not be reachable from the package.
# The example is built with -Werror, as CI builds dsim.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -u
BUILD=$(cd "$1" && pwd)
set -- "$BUILD/dsim" "$2"
source "$(dirname "$0")/lib.sh"
SRC=$(pwd)
PREFIX=$WORK/prefix

# ---- Install
expect_exit 0 "cmake --install" -- cmake --install "$BUILD" --prefix "$PREFIX"
for f in bin/dsim include/dsim/dsim.h include/dsim/version.h lib/cmake/dsim/dsimConfig.cmake; do
  [ -e "$PREFIX/$f" ] && pass || fail "the install has no $f"
done
[ ! -e "$PREFIX/include/sim" ] && pass || fail "internal headers were installed under include/sim"
grep -rqF -e "$SRC" -e "$BUILD" "$PREFIX/lib/cmake/dsim" && fail "the package config points into the source or build tree" || pass

# ---- Build the example against the installed package only
cp -r "$SRC/examples/two-phase-commit" "$WORK/example"
expect_exit 0 "configure the example" -- cmake -S "$WORK/example" -B "$WORK/example-build" \
  -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-Werror
expect_exit 0 "build the example" -- cmake --build "$WORK/example-build" -j2
X=$WORK/example-build/dsim-2pc
if [ ! -x "$X" ]; then
  fail "the example did not build"
  finish
  exit
fi

cd "$WORK/example" || exit 1
ok=scenarios/two-phase-commit-faults.yaml
bug=scenarios/two-phase-commit-commit-on-timeout.yaml

# The program has the built-ins and the example's protocol and checkers.
expect_exit 0 "protocols" -- "$X" protocols --names
grep -qx two_phase_commit "$WORK/out" && grep -qx raft "$WORK/out" && pass || fail "protocols: $(cat "$WORK/out")"
expect_exit 0 "checks" -- "$X" checks
grep -q atomicity "$WORK/out" && grep -q tx_decided "$WORK/out" && pass || fail "checks lists no atomicity/tx_decided"
# The plain installed dsim does not know the example's protocol.
expect_exit 3 "installed dsim on the example's scenario" -- "$PREFIX/bin/dsim" run "$ok"

# A correct run under faults: both checks hold.
expect_exit 0 "run the correct scenario" -- "$X" run "$ok" --trace run.jsonl --json run.json
python3 - run.json <<'PY' && pass || fail "run.json: atomicity and tx_decided should hold"
import json, sys
r = json.load(open(sys.argv[1]))
st = {c["name"]: c["status"] for c in r["checks"]}
sys.exit(0 if st == {"atomicity": "held", "tx_decided": "held"} else 1)
PY

# The planted bug: atomicity violated, which the scenario expects (exit 0).
expect_exit 0 "run the planted-bug scenario" -- "$X" run "$bug" --trace bug.jsonl --json bug.json
python3 - bug.json <<'PY' && pass || fail "bug.json: atomicity should be violated"
import json, sys
r = json.load(open(sys.argv[1]))
st = {c["name"]: c["status"] for c in r["checks"]}
sys.exit(0 if st.get("atomicity") == "violated" else 1)
PY
grep -q "violated *atomicity" "$WORK/out" "$WORK/err" && pass || fail "run output does not show the atomicity violation"
# Without its expect: block, the same run is a failure (exit 1).
grep -v -e '^expect:' -e '^  violated:' "$bug" > unexpected.yaml
expect_exit 1 "the planted bug without expect:" -- "$X" run unexpected.yaml

# A sweep of the correct scenario over several seeds.
expect_exit 0 "sweep the correct scenario" -- "$X" sweep "$ok" --seeds 1..20 --jobs 2 --quiet
expect_exit 0 "sweep the nemesis scenario" -- "$X" sweep scenarios/two-phase-commit-nemesis.yaml --seeds 1..20 --jobs 2 --quiet

# Offline check of the traces: same verdicts.
expect_exit 0 "check the correct trace" -- "$X" check run.jsonl
expect_exit 0 "check the planted-bug trace" -- "$X" check bug.jsonl
grep -q "violated *atomicity" "$WORK/out" "$WORK/err" && pass || fail "check output does not show the atomicity violation"

# Shrink the planted bug to a smaller scenario that still shows it.
expect_exit 0 "shrink the planted bug" -- "$X" shrink "$bug" --seed 1 -o small.yaml
expect_exit 0 "run the shrunk scenario" -- "$X" run small.yaml
grep -q "violated *atomicity" "$WORK/out" "$WORK/err" && pass || fail "the shrunk scenario does not violate atomicity"

# The HTML report.
expect_exit 0 "report" -- "$X" report run.jsonl -o run.html
[ -s run.html ] && pass || fail "report wrote no run.html"

# ---- Internal headers are not reachable through the package.
mkdir -p "$WORK/leak"
cat > "$WORK/leak/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(leak LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(dsim CONFIG REQUIRED)
add_library(public_only OBJECT public_only.cc)
target_link_libraries(public_only PRIVATE dsim::dsim)
add_library(internal OBJECT internal.cc)
target_link_libraries(internal PRIVATE dsim::dsim)
CM
printf '#include <dsim/dsim.h>\nint answer() { return DSIM_VERSION_MAJOR; }\n' > "$WORK/leak/public_only.cc"
printf '#include <sim/core/simulator.h>\nint answer() { return 0; }\n' > "$WORK/leak/internal.cc"
expect_exit 0 "configure the leak probe" -- cmake -S "$WORK/leak" -B "$WORK/leak/build" -DCMAKE_PREFIX_PATH="$PREFIX"
expect_exit 0 "a public header compiles" -- cmake --build "$WORK/leak/build" --target public_only
if cmake --build "$WORK/leak/build" --target internal >"$WORK/out" 2>&1; then
  fail "a translation unit including <sim/core/simulator.h> compiled against the installed package"
else
  grep -q "sim/core/simulator.h" "$WORK/out" && pass || fail "the internal build failed for another reason: $(tail -5 "$WORK/out")"
fi
finish
