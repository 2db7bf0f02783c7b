# Shared by the shell tests: sourced after `set -u`, with $1 = the dsim
# binary and $2 = the source tree. Gives DSIM (absolute), WORK (a temporary
# directory removed on exit), the working directory at the source root,
# pass/fail counters, expect_exit and finish.
DSIM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$SRC" || exit 1
failures=0
passes=0
pass() { passes=$((passes + 1)); }
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
expect_exit() {  # expect_exit CODE DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  if [ "$got" -eq "$want" ]; then pass; else fail "$what: exit $got, want $want"; sed 's/^/    /' "$WORK/err" >&2; fi
}
finish() {  # the closing line, and the exit status
  echo "$passes passed, $failures failed"
  [ "$failures" -eq 0 ]
}
