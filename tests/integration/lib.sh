# lib.sh - shared by the scenario tests tests/integration/tNNNN-*.sh.
# Each test sources it, runs the real binary ($DIVE) and calls the checks;
# the first failed check ends the test with a message and exit 1.
set -u
DIVE=${DIVE:?DIVE must name the dive binary}
# libmongoc keeps counters in /dev/shm (mongoc-<pid>) unless told not to, and
# warns on stderr when a stale segment of a recycled pid is in the way: the
# launcher ./dive sets this, and so does every scenario
export MONGOC_DISABLE_SHM=1
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

# new_state_db TAG: a database of this test's own, dropped on exit;
# exports DIVE_STATE_URL pointing at it.
new_state_db() {
	local base=${DIVE_STATE_URL:?run tests/env/up and source tests/env/.env}
	T_ADMIN_URL=$base
	T_DB="dive_t_$1_$$"
	PGOPTIONS="-c client_min_messages=warning" psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB" -c "CREATE DATABASE $T_DB" >/dev/null ||
		{ echo "cannot create database $T_DB" >&2; exit 1; }
	export DIVE_STATE_URL="${base%/*}/$T_DB"
	trap 'rm -f "$T_OUT" "$T_ERR"; psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1' EXIT
}

# sql QUERY: one value from the test's database.
sql() { psql -qXAt "$DIVE_STATE_URL" -c "$1"; }

expect_eq() { T_CHECKS=$((T_CHECKS + 1)); [ "$1" = "$2" ] || fail "got '$1', expected '$2'${3:+ ($3)}"; }

# json_get EXPR: evaluate a Python expression on the JSON in stdout (as d).
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T_OUT" "$1"; }
