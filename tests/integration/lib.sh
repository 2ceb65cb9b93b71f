# lib.sh - shared by the scenario tests tests/integration/tNNNN-*.sh.
# Each test sources it, runs the real binary ($DIVE) and calls the checks;
# the first failed check ends the test with a message and exit 1.
set -u
DIVE=${DIVE:?DIVE must name the dive binary}
T_OUT=$(mktemp) T_ERR=$(mktemp)
trap 'rm -f "$T_OUT" "$T_ERR"' EXIT
T_RC=0
T_CHECKS=0

# run ARGS...: run dive, keep stdout, stderr and the exit code.
run() {
	T_RC=0
	"$DIVE" "$@" >"$T_OUT" 2>"$T_ERR" || T_RC=$?
}

fail() {
	echo "FAIL: $*" >&2
	echo "--- stdout" >&2; head -c 2000 "$T_OUT" >&2
	echo "--- stderr" >&2; head -c 2000 "$T_ERR" >&2
	exit 1
}

expect_rc() { T_CHECKS=$((T_CHECKS + 1)); [ "$T_RC" -eq "$1" ] || fail "exit code $T_RC, expected $1"; }
expect_out() { T_CHECKS=$((T_CHECKS + 1)); grep -qF -- "$1" "$T_OUT" || fail "stdout lacks '$1'"; }
expect_err() { T_CHECKS=$((T_CHECKS + 1)); grep -qF -- "$1" "$T_ERR" || fail "stderr lacks '$1'"; }
expect_no_out() { T_CHECKS=$((T_CHECKS + 1)); [ ! -s "$T_OUT" ] || fail "stdout not empty"; }
expect_json() {
	T_CHECKS=$((T_CHECKS + 1))
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T_OUT" || fail "stdout is not JSON"
}

done_ok() { echo "ok: $T_CHECKS checks"; }
