#!/usr/bin/env bash
# t0060: dive serve and dive metrics without stacks, against the real
# PostgreSQL and promtool: the rules pass `promtool check rules` and their
# unit tests, the exposition passes `promtool check metrics`; --textfile
# writes atomically; the bind rules and the token file are enforced before
# anything listens; reads beyond loopback need the bearer; a POST without a
# session or without the CSRF token is 403 and changes nothing; a slow state
# store yields a scrape error within the statement timeout, never a hung
# scrape; a failed scheduled audit is recorded and listed by
# `federation audit --history`; SIGTERM ends the server and its event
# streams cleanly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_serve.sh"
new_state_db t0060
export MONGOC_DISABLE_SHM=1
TMP=$(mktemp -d)
# an instances directory without secrets: audits fail for sure (recorded as failures)
export DIVE_INSTANCES_DIR=$TMP/instances
mkdir -p "$DIVE_INSTANCES_DIR"
trap 'serve_stop; [ -n "${LOCKER:-}" ] && kill "$LOCKER" 2>/dev/null; rm -rf "$TMP" "$T_OUT" "$T_ERR"; psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1' EXIT
MON=$DIVE_SOURCE_DIR/monitoring

# --- the rules ---------------------------------------------------------------------------
T_CHECKS=$((T_CHECKS + 1))
promtool check rules "$MON/prometheus/orchestration-rules.yml" >"$T_OUT" 2>&1 || fail "promtool check rules"
T_CHECKS=$((T_CHECKS + 1))
(cd "$MON/prometheus" && promtool test rules orchestration-rules.test.yml) >"$T_OUT" 2>&1 || fail "promtool test rules"
# every alert has a test that fires and one that does not
T_CHECKS=$((T_CHECKS + 1))
python3 - "$MON/prometheus" <<'EOF' || fail "an alert without both tests"
import re, sys
d = sys.argv[1]
alerts = re.findall(r'^\s+- alert: (\S+)', open(d + '/orchestration-rules.yml').read(), re.M)
tests = open(d + '/orchestration-rules.test.yml').read()
blocks = re.findall(r'alertname: (\S+)\n\s+exp_alerts:(.*?)(?=\n\s+- eval_time|\n  - interval|\Z)', tests, re.S)
for a in alerts:
    fires = any(n == a and 'exp_labels' in b for n, b in blocks)
    silent = any(n == a and b.strip().startswith('[]') for n, b in blocks)
    if not (fires and silent):
        sys.exit('%s: fires=%s silent=%s' % (a, fires, silent))
print(len(alerts), 'alerts, each tested both ways')
EOF
python3 "$DIVE_SOURCE_DIR/tests/monitoring/dashboard_check.py" "$MON/grafana/orchestration-dashboard.json" >"$T_OUT" 2>&1 ||
	fail "dashboard structure"
T_CHECKS=$((T_CHECKS + 1))

# --- dive metrics ---------------------------------------------------------------------
run metrics
expect_rc 0
expect_out 'dive_build_info{version="'
expect_out 'dive_scrape_error{source="state_store"} 0'
expect_out 'dive_service_ready_timeout_seconds{kind="spoke",service="keycloak",source="x-dive"} 240'
T_CHECKS=$((T_CHECKS + 1))
promtool check metrics <"$T_OUT" >"$TMP/lint" 2>&1 || { cat "$TMP/lint" >&2; fail "promtool check metrics"; }
[ ! -s "$TMP/lint" ] || { cat "$TMP/lint" >&2; fail "promtool check metrics found problems"; }

mkdir "$TMP/textfile"
run metrics --textfile "$TMP/textfile"
expect_rc 0
expect_no_out
expect_eq "$(ls -A "$TMP/textfile")" "dive.prom" "only the file, no temporary left"
expect_eq "$(grep -c '^dive_build_info' "$TMP/textfile/dive.prom")" "1"
run metrics --textfile "$TMP/nonexistent"
expect_rc 2
expect_err "is not a directory"

# a slow state store: the statement timeout ends the store part, the scrape answers
PGAPPNAME=t0060-locker psql -qX "$DIVE_STATE_URL" -c "BEGIN; LOCK TABLE dive.runs IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30); COMMIT" >/dev/null 2>&1 &
LOCKER=$!
for _ in $(seq 50); do
	[ "$(sql "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'runs' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ] && break
	sleep 0.1
done
start=$(date +%s)
run metrics
took=$(( $(date +%s) - start ))
expect_rc 0
expect_out 'dive_scrape_error{source="state_store"} 1'
expect_out 'dive_instance_state'   # what came before the blocked table still came
[ "$took" -lt 20 ] || fail "a blocked store held the scrape for ${took}s"
kill "$LOCKER" 2>/dev/null; wait "$LOCKER" 2>/dev/null; LOCKER=
sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 't0060-locker'" >/dev/null

# an engine that cannot be reached: the engine part is an error, the rest is there
run --docker-host unix:///nonexistent/docker.sock metrics
expect_rc 0
expect_out 'dive_scrape_error{source="engine"} 1'
expect_out 'dive_scrape_error{source="state_store"} 0'

# --- bind rules and the token -----------------------------------------------------------
PORT=$(free_port)
run serve --listen "0.0.0.0:$PORT"
expect_rc 2
expect_err "beyond loopback without --token-file"
run serve --listen "127.0.0.1:notaport"
expect_rc 2
expect_err "must be 1 to 65535"
run serve --audit-interval 5x
expect_rc 2
expect_err "takes a duration"
printf 'short\n' >"$TMP/short"; chmod 600 "$TMP/short"
run serve --token-file "$TMP/short"
expect_rc 2
expect_err "printable characters"
TOKEN=$(openssl rand -hex 24)
printf '%s\n' "$TOKEN" >"$TMP/token"; chmod 644 "$TMP/token"
run serve --token-file "$TMP/token"
expect_rc 2
expect_err "readable by others"
chmod 600 "$TMP/token"
expect_eq "$(grep -c "$TOKEN" "$T_ERR")" "0" "the token never reaches a message"

# beyond loopback with the token: reads need the bearer; /healthz does not
SERVE_URL="http://127.0.0.1:$PORT"
serve_start "$TMP/serve-any.log" --listen "0.0.0.0:$PORT" --token-file "$TMP/token" --audit-interval off
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/healthz")" "200"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/metrics")" "401"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer wrong$TOKEN" "$SERVE_URL/metrics")" "401"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$SERVE_URL/metrics")" "200"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/api/state")" "401"
serve_stop
expect_eq "$SERVE_RC" "0" "SIGTERM ends serve with 0"

# --- loopback: reads open, actions need a session and the CSRF token ----------------------
PORT=$(free_port)
SERVE_URL="http://127.0.0.1:$PORT"
serve_start "$TMP/serve.log" --listen "127.0.0.1:$PORT" --token-file "$TMP/token" --audit-interval 2s
curl -s -D "$TMP/h" -o "$TMP/m" "$SERVE_URL/metrics"
expect_eq "$(grep -ci '^content-type: text/plain; version=0.0.4' "$TMP/h")" "1"
expect_eq "$(grep -c '^dive_build_info' "$TMP/m")" "1"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/")" "200"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$SERVE_URL/api/state")" "200"

# the scheduled audit runs (and fails: no secrets here), and is recorded as such
for _ in $(seq 100); do
	[ "$(sql "SELECT count(*) FROM dive.audit_reports")" -ge 1 ] && break
	sleep 0.1
done
expect_eq "$(sql "SELECT trigger, ok FROM dive.audit_reports ORDER BY id LIMIT 1")" "schedule|f"
run federation audit --history
expect_rc 0
expect_out "schedule"
expect_out "no "
run federation audit --history --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["reports"][0]["ok"], d["reports"][0]["trigger"]')" "(False, 'schedule')"
T_CHECKS=$((T_CHECKS + 1))
curl -s "$SERVE_URL/metrics" | grep -q '^dive_audits_total{outcome="error"} [1-9]' || fail "dive_audits_total counts the failed audit"

# the state store ends every session of the server (a restart): the next requests open them again
sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
n0=$(sql "SELECT count(*) FROM dive.audit_reports")
expect_eq "$(curl -s "$SERVE_URL/api/state" | python3 -c 'import json,sys; print(json.load(sys.stdin)["instances"] is not None)')" "True" "reads after the sessions ended"
T_CHECKS=$((T_CHECKS + 1))
curl -s "$SERVE_URL/metrics" | grep -q '^dive_scrape_error{source="state_store"} 0' || fail "the scrape after the sessions ended"
for _ in $(seq 100); do
	[ "$(sql "SELECT count(*) FROM dive.audit_reports")" -gt "$n0" ] && break
	sleep 0.1
done
T_CHECKS=$((T_CHECKS + 1))
[ "$(sql "SELECT count(*) FROM dive.audit_reports")" -gt "$n0" ] || fail "the scheduled audits record again after the sessions ended"

reports() { sql "SELECT count(*) FROM dive.audit_reports WHERE trigger = 'action'"; }
before=$(reports)
post() { curl -s -o "$TMP/post" -w '%{http_code}' -b "$TMP/jar" -c "$TMP/jar" -H 'Content-Type: application/json' "$@"; }
rm -f "$TMP/jar"
expect_eq "$(post -X POST -d '{}' "$SERVE_URL/api/reconcile")" "403" "unauthenticated POST"
# sign in: the pre-session CSRF token, then the token
csrf=$(curl -s -b "$TMP/jar" -c "$TMP/jar" "$SERVE_URL/api/session" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])')
expect_eq "$(post -X POST -d "{\"token\":\"$TOKEN\"}" "$SERVE_URL/api/login")" "403" "login without CSRF"
expect_eq "$(post -X POST -H "X-CSRF-Token: $csrf" -d '{"token":"wrong-token-wrong-token"}' "$SERVE_URL/api/login")" "403" "wrong token"
expect_eq "$(post -D "$TMP/lh" -X POST -H "X-CSRF-Token: $csrf" -d "{\"token\":\"$TOKEN\"}" "$SERVE_URL/api/login")" "200" "login"
T_CHECKS=$((T_CHECKS + 1))
grep -qi '^set-cookie: dive_session=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict' "$TMP/lh" ||
	fail "the session cookie is HttpOnly and SameSite=Strict"
scsrf=$(curl -s -b "$TMP/jar" "$SERVE_URL/api/session" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["csrf"] if d["signed_in"] else "")')
[ -n "$scsrf" ] || fail "signed in after login"
expect_eq "$(post -X POST -d '{"code":"DEU"}' "$SERVE_URL/api/suspend")" "403" "a session without the CSRF token"
expect_eq "$(post -X POST -H "X-CSRF-Token: $csrf" -d '{"code":"DEU"}' "$SERVE_URL/api/suspend")" "403" "the login CSRF token is not the session's"
expect_eq "$(post -X POST -H "X-CSRF-Token: $scsrf" -d '{"prune":true}' "$SERVE_URL/api/reconcile")" "400" "prune needs its confirmation"
expect_eq "$(post -X POST -H "X-CSRF-Token: $scsrf" -d '{"code":"XXX"}' "$SERVE_URL/api/approve")" "400" "a bad code"
expect_eq "$(reports)" "$before" "refused POSTs changed nothing"
expect_eq "$(grep -c "$TOKEN" "$TMP/serve.log")" "0" "the token is never logged"

# SIGTERM ends an open event stream and the server
curl -s -N -m 20 "$SERVE_URL/events" >"$TMP/events" 2>/dev/null &
EV=$!
sleep 0.5
serve_stop
expect_eq "$SERVE_RC" "0"
T_CHECKS=$((T_CHECKS + 1))
for _ in $(seq 50); do kill -0 "$EV" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$EV" 2>/dev/null || fail "the event stream outlived the server"
grep -q '^event: hello' "$TMP/events" || fail "the event stream said hello"
expect_eq "$(grep -c 'stopping (SIGTERM)' "$TMP/serve.log")" "1"
expect_eq "$(grep -c 'reconcile --prune' "$TMP/serve.log")" "0" "no scheduled prune by default"

# --prune-interval: the scheduled reconcile --prune runs (and fails here: no secrets), then an audit
PORT=$(free_port)
SERVE_URL="http://127.0.0.1:$PORT"
serve_start "$TMP/serve-prune.log" --listen "127.0.0.1:$PORT" --audit-interval off --prune-interval 1s
for _ in $(seq 50); do grep -q 'scheduled reconcile --prune' "$TMP/serve-prune.log" && break; sleep 0.1; done
serve_stop
expect_eq "$(grep -c 'scheduled reconcile --prune failed' "$TMP/serve-prune.log")" "1" "the scheduled prune ran once"
done_ok
