#!/usr/bin/env bash
# t0120: a run and its state store (issue 12), on the real pipeline and a
# PostgreSQL of the test's own (restarting the shared one would break the
# tests running beside it):
#   - the lock's session killed mid-deploy (pg_terminate_backend, as
#     'dive lock release --force' does): the run stops with LOCK_LOST, no step
#     begins after the kill, nothing is rolled back, the instance is
#     INTERRUPTED and the loss is recorded;
#   - the server restarted mid-deploy (pg_ctl restart -m fast): the run stops
#     cleanly the same way, its error recorded once the store is back;
#   - --resume finishes, and no step row was lost or doubled: every service
#     has one 'start' step, done, in the one run.
# Needs the stack lock (it deploys the hub, idempotently, and NLD).
. "$(dirname "$0")/lib.sh"
export DIVE_INSTANCES_DIR=${DIVE_INSTANCES_DIR:-$DIVE_SOURCE_DIR/instances}

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$pgbin/pg_ctl" ] || fail "no PostgreSQL server binaries under /usr/lib/postgresql"
priv=$(mktemp -d /var/tmp/dive-t0120.XXXXXX)
chmod 0755 "$priv"
chown postgres:postgres "$priv"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pgctl() { (cd / && runuser -u postgres -- "$pgbin/pg_ctl" -D "$priv/data" -l "$priv/log" -w -t 60 "$@") >/dev/null; }
cleanup() {
	"$DIVE" spoke clean NLD --yes >/dev/null 2>&1 || true
	"$DIVE" federation unregister NLD --yes >/dev/null 2>&1 || true
	pgctl stop -m immediate 2>/dev/null || true
	rm -rf "$priv" "$T_OUT" "$T_ERR"
}
trap cleanup EXIT
(cd / && runuser -u postgres -- "$pgbin/initdb" -D "$priv/data" -U postgres --auth=trust --no-locale -E UTF8) >/dev/null ||
	fail "initdb failed"
printf "listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n" "$port" "$priv" >>"$priv/data/postgresql.conf"
pgctl start || fail "the private PostgreSQL did not start"
export DIVE_STATE_URL="postgresql://postgres@127.0.0.1:$port/postgres"

state() { sql "SELECT state FROM dive.instances WHERE code = 'NLD'"; }
run_id() { sql "SELECT id FROM dive.runs WHERE code = 'NLD' ORDER BY id DESC LIMIT 1"; }
started() { sql "SELECT count(*) FROM dive.steps s JOIN dive.runs r ON r.id = s.run_id WHERE r.code = 'NLD' AND s.action = 'start' AND s.status = 'done'"; }
lost() { sql "SELECT count(*) FROM dive.errors WHERE instance = 'NLD' AND code = 1702"; }
# wait_started N: until N services of NLD have started (and the run is still going)
wait_started() {
	for _ in $(seq 600); do
		[ "$(started)" -ge "$1" ] && [ "$(state)" = DEPLOYING ] && return 0
		kill -0 "$deploy" 2>/dev/null || fail "the deploy ended before $1 services started"
		sleep 0.1
	done
	fail "$1 services of NLD did not start in time"
}

"$DIVE" spoke clean NLD --yes >/dev/null 2>&1 || true
run hub up
expect_rc 0

# 1. the lock's session killed while services start
"$DIVE" spoke deploy NLD >"$priv/deploy1.out" 2>&1 &
deploy=$!
wait_started 2
sql "SELECT pg_terminate_backend(backend_pid) FROM dive.live_locks WHERE name = 'instance:NLD'" >/dev/null
killed_at=$(sql "SELECT clock_timestamp()")
T_RC=0
wait "$deploy" || T_RC=$?
cp "$priv/deploy1.out" "$T_ERR"
expect_rc 4
expect_err "instance lock of 'NLD' was lost"
expect_err "error 1702 LOCK_LOST"
expect_eq "$(state)" INTERRUPTED
expect_eq "$(lost)" 1 "the loss is recorded"
expect_eq "$(sql "SELECT count(*) FROM dive.steps WHERE run_id = $(run_id) AND started_at > '$killed_at'")" 0 \
	"a step began after the lock was lost"
expect_eq "$(sql "SELECT count(*) FROM dive.steps WHERE run_id = $(run_id) AND status = 'undone'")" 0 \
	"rolled back without the lock"
expect_eq "$(sql "SELECT outcome FROM dive.runs WHERE id = $(run_id)")" interrupted
first_run=$(run_id)

# 2. the server restarted while the resumed run starts services
"$DIVE" spoke deploy NLD --resume >"$priv/deploy2.out" 2>&1 &
deploy=$!
wait_started "$(($(started) + 1))"
pgctl restart -m fast || fail "the private PostgreSQL did not restart"
T_RC=0
wait "$deploy" || T_RC=$?
cp "$priv/deploy2.out" "$T_ERR"
expect_rc 4
expect_err "error 1702 LOCK_LOST"
expect_eq "$(state)" INTERRUPTED
expect_eq "$(lost)" 2 "the loss after the restart is recorded"
expect_eq "$(run_id)" "$first_run" "the resume continued the same run"

# 3. --resume finishes; every service has exactly one start step, done
run spoke deploy NLD --resume --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["outcome"]')" succeeded
expect_eq "$(json_get 'd["errors"]["critical"]')" 2 "both losses are in the run's report"
expect_eq "$(state)" COMPLETE
expect_eq "$(run_id)" "$first_run"
expect_eq "$(sql "SELECT resumes FROM dive.runs WHERE id = $first_run")" 2
expect_eq "$(sql "SELECT count(*) FROM dive.steps WHERE run_id = $first_run AND action = 'start'")" 9 "one start step per service"
expect_eq "$(started)" 9
expect_eq "$(sql "SELECT count(*) - count(DISTINCT idem_key) FROM dive.steps WHERE run_id = $first_run")" 0 "a step row doubled"
run spoke status NLD
expect_rc 0

done_ok
