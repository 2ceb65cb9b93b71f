#!/usr/bin/env bash
# t0061: dive serve scraped by the test environment's real Prometheus after
# real deploys of the hub and DEU (deployed here when they are not running
# with this tree's secrets; t0040 leaves them up).  Prometheus' values equal
# what the state store holds for runs, phase durations and breakers, and what
# the engine says for container health; stopping one of DEU's containers
# moves dive_containers_healthy on the next scrape; a failed deploy (a port
# taken) shows in the error families; a scheduled audit with an orphan IdP
# made by hand in the hub's Keycloak is recorded, listed by `federation audit
# --history` and counted by the drift metric; every panel of the Grafana
# dashboard returns series from Prometheus.
#
# Deploys stacks: run it under the stack lock (flock /work/.stack.lock ...).
# Everything it stops or creates is restored or removed on exit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_serve.sh"
new_state_db t0061
export DIVE_INSTANCES_DIR=${DIVE_INSTANCES_DIR:-$DIVE_SOURCE_DIR/instances}
export MONGOC_DISABLE_SHM=1
unset DIVE_FEDERATION_STORE_URL DIVE_RETRY
: "${DIVE_PROMETHEUS_URL:?run tests/env/up (prometheus)}"
TMP=$(mktemp -d)
NAME=t0061-$$
HAND=nzl
STOPPED=
cleanup() {
	serve_stop
	prom_untarget "$NAME"
	[ -n "${HOLDER:-}" ] && kill "$HOLDER" 2>/dev/null
	[ -n "${LISTENER:-}" ] && kill "$LISTENER" 2>/dev/null
	kc_admin USA DELETE "/realms/dive-v3-broker-usa/identity-provider/instances/$HAND-idp" >/dev/null 2>&1
	if [ -n "$STOPPED" ]; then
		docker start "$STOPPED" >/dev/null 2>&1
		for _ in $(seq 120); do
			[ "$(docker inspect -f '{{.State.Health.Status}}' "$STOPPED" 2>/dev/null)" = healthy ] && break
			sleep 1
		done
	fi
	rm -rf "$TMP" "$T_OUT" "$T_ERR"
	psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT

stacks_ensure

# --- dive serve, scraped ------------------------------------------------------------------
PORT=$(free_port)
SERVE_URL="http://127.0.0.1:$PORT"
serve_start "$TMP/serve.log" --listen "127.0.0.1:$PORT" --audit-interval 3s
prom_target "$NAME" "127.0.0.1:$PORT"
SEL="dive_test=\"$NAME\""
for _ in $(seq 100); do
	[ "$(promq "dive_build_info{$SEL}")" != "[]" ] && break
	sleep 0.2
done
[ "$(promq "dive_build_info{$SEL}")" != "[]" ] || fail "Prometheus never scraped dive serve"

# a breaker the operator opened and closed; a lock held meanwhile
run breaker open keycloak:fra
expect_rc 0
run breaker close keycloak:fra
expect_rc 0
"$DIVE" lock hold FRA --for 300 -m "t0061 holds it" >/dev/null 2>&1 &
HOLDER=$!

# a failed deploy: one of NLD's ports is taken (preflight fails, nothing is created)
NLD_PORT=$("$DIVE" spoke ports NLD --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ports"]["frontend"])')
python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(120)' "$NLD_PORT" &
LISTENER=$!
sleep 0.3
run spoke deploy NLD
[ "$T_RC" -ne 0 ] || fail "a deploy with its port taken succeeded"
kill "$LISTENER" 2>/dev/null; LISTENER=
expect_eq "$(sql "SELECT count(*) > 0 FROM dive.errors WHERE instance = 'NLD'")" "t" "the failure is recorded"

# --- one of DEU's containers stops: the next scrape says so ----------------------------------
healthy_deu() { curl -s "$SERVE_URL/metrics" | awk '/^dive_containers_healthy\{code="DEU"/ { s += $2 } END { print s + 0 }'; }
expect_eq "$(healthy_deu)" "9" "DEU healthy before"
STOPPED=dive-spoke-deu-kas
docker stop -t 5 "$STOPPED" >/dev/null || fail "cannot stop $STOPPED"
expect_eq "$(healthy_deu)" "8" "the next scrape after the stop"
T_CHECKS=$((T_CHECKS + 1))
curl -s "$SERVE_URL/metrics" | grep -q '^dive_containers_running{code="DEU",service="kas"} 0' || fail "kas not running"

# --- Prometheus holds what the state store holds -------------------------------------------
# compare NAME PROMQL SQL: both as sorted "labels value" lines, until equal (bounded: scrapes every 2s)
compare() {
	local what=$1 pq=$2 sq=$3 p s i
	for i in $(seq 30); do
		p=$(promq "$pq" | python3 -c '
import json,sys
for r in json.load(sys.stdin):
    v = round(float(r["value"][1]), 3); print(" ".join(x for k, x in sorted(r["metric"].items()) if k not in ("dive_test", "__name__", "instance", "job")), int(v) if v == int(v) else v)' | sort)
		s=$(sql "$sq" | tr '|' ' ' | sort)
		[ "$p" = "$s" ] && break
		sleep 1
	done
	expect_eq "$p" "$s" "$what: Prometheus against the state store"
}
compare "runs by instance and outcome" "sum by (code, outcome) (dive_runs_total{$SEL})" \
	"SELECT code, outcome, count(*) FROM dive.runs WHERE outcome <> 'running' GROUP BY 1, 2"
PHASE="CASE from_state WHEN 'INITIALIZING' THEN 'initialization' WHEN 'DEPLOYING' THEN 'deployment' WHEN 'CONFIGURING' THEN 'configuration' ELSE 'verification' END"
PHASES="FROM dive.transitions WHERE run_id IS NOT NULL AND duration_ms IS NOT NULL AND from_state IN ('INITIALIZING', 'DEPLOYING', 'CONFIGURING', 'VERIFYING') GROUP BY 1, 2"
compare "phase duration counts" "dive_phase_duration_seconds_count{$SEL}" "SELECT code, $PHASE, count(*) $PHASES"
compare "phase duration sums" "dive_phase_duration_seconds_sum{$SEL}" "SELECT code, $PHASE, round(sum(duration_ms) / 1000.0, 3)::float8 $PHASES"
compare "breaker openings" "dive_breaker_opens_total{$SEL}" "SELECT name, opens_total FROM dive.breakers"
compare "breaker states" "dive_breaker_state{$SEL} == 1" "SELECT name, state, 1 FROM dive.breakers"
expect_eq "$(sql "SELECT opens_total FROM dive.breakers WHERE name = 'keycloak:fra'")" "1" "the open was counted"
engine_healthy=$(docker ps --filter label=dive.project=dive-spoke-deu --filter health=healthy -q | wc -l)
compare "DEU healthy containers" "sum by (code) (dive_containers_healthy{$SEL,code=\"DEU\"})" "SELECT 'DEU', $engine_healthy"
compare "errors by code" "sum by (error_code) (dive_errors_total{$SEL})" "SELECT code, count(*) FROM dive.errors GROUP BY 1"

# --- a scheduled audit sees an orphan IdP made by hand -----------------------------------------
kc_admin USA DELETE "/realms/dive-v3-broker-usa/identity-provider/instances/$HAND-idp" >/dev/null
expect_eq "$(kc_admin USA POST /realms/dive-v3-broker-usa/identity-provider/instances \
	"{\"alias\":\"$HAND-idp\",\"providerId\":\"oidc\",\"enabled\":true,\"config\":{\"clientId\":\"hand\",\"authorizationUrl\":\"http://localhost:9/auth\",\"tokenUrl\":\"http://localhost:9/token\",\"validateSignature\":\"false\"}}")" \
	"201" "the orphan IdP made by hand"
after=$(sql "SELECT coalesce(max(id), 0) FROM dive.audit_reports")
for _ in $(seq 60); do
	[ "$(sql "SELECT count(*) FROM dive.audit_reports WHERE id > $after AND ok AND findings @> '[{\"code\": \"NZL\"}]'")" -ge 1 ] && break
	sleep 1
done
run federation audit --history --json
expect_rc 0
expect_json
expect_eq "$(json_get '[r["trigger"] for r in d["reports"] if r["ok"]][0]')" "schedule"
expect_eq "$(json_get '[r["by_kind"]["orphaned-idp"] >= 1 for r in d["reports"] if r["ok"]][0]')" "True" "the report counts the orphan"
run federation audit --history
expect_rc 0
expect_out "orphaned-idp="
T_CHECKS=$((T_CHECKS + 1))
curl -s "$SERVE_URL/metrics" | grep -q '^dive_drift_findings{kind="orphaned-idp"} [1-9]' || fail "the drift metric counts the orphan"
for _ in $(seq 30); do
	[ "$(promq "dive_drift_findings{$SEL,kind=\"orphaned-idp\"} >= 1")" != "[]" ] && break
	sleep 1
done
expect_eq "$(promq "dive_drift_findings{$SEL,kind=\"orphaned-idp\"} >= 1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "1" \
	"Prometheus has the drift"

# --- every panel of the dashboard returns series -------------------------------------------------
T_CHECKS=$((T_CHECKS + 1))
python3 "$DIVE_SOURCE_DIR/tests/monitoring/dashboard_check.py" "$DIVE_SOURCE_DIR/monitoring/grafana/orchestration-dashboard.json" \
	--prometheus "$DIVE_PROMETHEUS_URL" --label "dive_test=$NAME" >"$TMP/dash" 2>&1 || { cat "$TMP/dash" >&2; fail "a dashboard query returned no series"; }
cat "$TMP/dash"

# no secret in any metric or label
T_CHECKS=$((T_CHECKS + 1))
curl -s "$SERVE_URL/metrics" >"$TMP/metrics"
for f in "$DIVE_INSTANCES_DIR"/usa/secrets/* "$DIVE_INSTANCES_DIR"/deu/secrets/*; do
	v=$(cat "$f")
	[ ${#v} -ge 8 ] || continue
	! grep -qF -- "$v" "$TMP/metrics" || fail "a secret ($(basename "$f")) is in the metrics"
done
done_ok
