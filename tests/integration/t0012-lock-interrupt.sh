#!/usr/bin/env bash
# t0012: Ctrl-C ends a wait for a lock at once with exit 130 (lock hold, and
# any verb under --lock-wait); lock hold --dry-run takes nothing; a lock
# message cannot carry an escape sequence to the operator who finds it; a
# lost write to stdout is a failure.
# ctest: beside-stacks (no shared engine object; runs beside the engine chain, tests/CMakeLists.txt)
. "$(dirname "$0")/lib.sh"
new_state_db t0012
set -m # background jobs get SIGINT like a terminal's foreground job would

work=$(mktemp -d)
holder=
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; rm -rf "$work" "$T_OUT" "$T_ERR";
      psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1' EXIT

run db migrate
expect_rc 0

# --dry-run: what would be held, and nothing is
run --dry-run lock hold DEU --for 30 -m "maintenance window"
expect_rc 0
expect_out "would hold lock 'instance:DEU' for 30s with the message 'maintenance window' (nothing was taken)"
expect_out "it is free now"
expect_eq "$(sql "SELECT count(*) FROM dive.live_locks")" "0" "a dry run took the lock"
run --json --dry-run lock hold DEU --for 30
expect_rc 0
expect_eq "$(json_get 'd["dry_run"] and d["holder"] is None')" "True"

# someone holds DEU for a while
"$DIVE" lock hold DEU --for 120 -m "upgrade" >"$work/holder.out" 2>&1 &
holder=$!
for _ in $(seq 100); do
	[ "$(sql "SELECT count(*) FROM dive.live_locks WHERE name = 'instance:DEU'")" = 1 ] && break
	sleep 0.1
done
expect_eq "$(sql "SELECT count(*) FROM dive.live_locks WHERE name = 'instance:DEU'")" "1" "the holder holds DEU"
run --dry-run lock hold DEU --for 30
expect_rc 0
expect_out "it is held now by pid $holder"

# interrupt COMMAND...: start it, let it wait for the lock, SIGINT it; it must
# end within 10s (its --lock-wait is 60s) with 130 and say why
interrupt() {
	local pid rc=0 i
	"$DIVE" "$@" >"$T_OUT" 2>"$T_ERR" &
	pid=$!
	sleep 1.5
	kill -INT "$pid"
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		fail "dive $*: still waiting 10s after SIGINT"
	fi
	wait "$pid" || rc=$?
	T_RC=$rc
}

interrupt lock hold DEU --for 5 --lock-wait 60
expect_rc 130
expect_err "interrupted while waiting for lock 'instance:DEU'"

# a deploy waiting for its instance lock; its engine does not exist, so it
# could not change anything even if it got the lock
DOCKER_HOST="unix://$work/no-engine.sock" DIVE_INSTANCES_DIR="$work/instances" \
	interrupt spoke deploy DEU --lock-wait 60
expect_rc 130
expect_err "interrupted while waiting for lock 'instance:DEU'"

# SIGTERM too
"$DIVE" lock hold DEU --for 5 --lock-wait 60 >"$T_OUT" 2>"$T_ERR" &
pid=$!
sleep 1.5
kill -TERM "$pid"
T_RC=0
wait "$pid" || T_RC=$?
expect_rc 130

# a message written into the table by anything else still reaches no terminal raw
sql "UPDATE dive.lock_holders SET message = E'done soon\\033[2J\\033[H' WHERE name = 'instance:DEU'" >/dev/null
run lock status DEU
expect_rc 0
expect_out "done soon?[2J?[H"
run lock hold DEU --for 5
expect_rc 4
expect_err "done soon?[2J?[H"
T_CHECKS=$((T_CHECKS + 1))
! grep -q $'\033' "$T_OUT" "$T_ERR" || fail "an escape sequence from the table reached the terminal"

# the holder is unharmed, and its window ends early on SIGINT with exit 0
expect_eq "$(sql "SELECT count(*) FROM dive.live_locks WHERE name = 'instance:DEU'")" "1" "the holder still holds DEU"
kill -INT "$holder"
T_RC=0
wait "$holder" || T_RC=$?
holder=
expect_rc 0
T_CHECKS=$((T_CHECKS + 1))
grep -qF "released lock 'instance:DEU' (interrupted)" "$work/holder.out" || fail "the holder did not say it released early"

# a message with an escape sequence never reaches the table another operator reads
run lock hold FRA --for 5 -m $'all good\033[2J\033[Hsee you'
expect_rc 2
expect_err "argument 7 has a control character"
expect_eq "$(sql "SELECT count(*) FROM dive.lock_holders")" "0" "a refused hold recorded a holder"

# output that cannot be written is a failure, not a silent success
T_RC=0
"$DIVE" --json version >/dev/full 2>"$T_ERR" || T_RC=$?
expect_rc 1
expect_err "cannot write the output: No space left on device"
T_RC=0
"$DIVE" spoke list-countries >/dev/full 2>"$T_ERR" || T_RC=$?
expect_rc 1

done_ok
