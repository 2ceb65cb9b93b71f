#!/usr/bin/env bash
# t0040: the hub and spokes through the real pipeline on real dockerd with
# the local images: deploy, status, idempotent redeploy, lock exclusion,
# SIGINT and kill -9 with --resume, a fault that rolls back, dry run, down
# that touches only its own spoke, two spokes at once.
# Leaves the hub and DEU deployed (t0050 federates them); FRA, POL and ESP
# are removed at the end.
. "$(dirname "$0")/lib.sh"
new_state_db t0040
export DIVE_INSTANCES_DIR=${DIVE_INSTANCES_DIR:-$DIVE_SOURCE_DIR/instances}
export MONGOC_DISABLE_SHM=1
cleanup_spokes() {
	for c in FRA POL ESP; do "$DIVE" spoke clean "$c" --yes >/dev/null 2>&1 || true; done
}
trap 'cleanup_spokes; rm -f "$T_OUT" "$T_ERR"; psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1' EXIT

ids() { docker ps -aq --filter "label=dive.project=$1" --no-trunc | sort | tr '\n' ' '; }

# Start from nothing: stacks left by an earlier run (and their volumes, whose
# databases were initialised with that run's secrets) are removed first.
"$DIVE" hub down --yes >/dev/null 2>&1 || true
for c in DEU FRA POL ESP; do "$DIVE" spoke clean "$c" --yes >/dev/null 2>&1 || true; done
docker volume ls -q --filter label=dive.project=dive-hub | xargs -r docker volume rm >/dev/null 2>&1 || true
state() { sql "SELECT state FROM dive.instances WHERE code = '$1'"; }

run images build
expect_rc 0

run hub up
expect_rc 0
expect_out "hub USA: succeeded"
run hub status --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["healthy"]')" "True"

run spoke deploy DEU --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["outcome"]')" "succeeded"
expect_eq "$(json_get 'all(c["ok"] for c in d["checks"])')" "True"
expect_eq "$(json_get 'len(d["services"])')" "9"
run spoke status DEU --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["healthy"]')" "True"
expect_eq "$(json_get 'len([s for s in d["spokes"][0]["services"] if s["health"] == "healthy"])')" "9"

# a redeploy with no change recreates nothing
before=$(ids dive-spoke-deu)
run spoke deploy DEU
expect_rc 0
expect_eq "$(ids dive-spoke-deu)" "$before" "unchanged containers kept"

# dry run on a fresh instance: no container, network, volume or state row
engine_before=$(docker ps -aq | sort; docker network ls -q | sort; docker volume ls -q | sort)
rows_before=$(sql "SELECT (SELECT count(*) FROM dive.instances) + (SELECT count(*) FROM dive.runs) + (SELECT count(*) FROM dive.steps)")
run spoke deploy NLD --dry-run --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["outcome"]')" "planned"
expect_eq "$(docker ps -aq | sort; docker network ls -q | sort; docker volume ls -q | sort)" "$engine_before" "dry run changed the engine"
expect_eq "$(sql "SELECT (SELECT count(*) FROM dive.instances) + (SELECT count(*) FROM dive.runs) + (SELECT count(*) FROM dive.steps)")" "$rows_before" "dry run wrote state"

# SIGINT during deployment: INTERRUPTED; a second deploy meanwhile is refused at once
"$DIVE" spoke deploy FRA >/dev/null 2>&1 &
first=$!
for _ in $(seq 300); do
	[ "$(state FRA)" = DEPLOYING ] && [ -n "$(ids dive-spoke-fra)" ] && break
	sleep 0.1
done
start=$(date +%s%N)
run spoke deploy FRA --lock-wait 0
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 4
[ "$elapsed_ms" -lt 1000 ] || fail "lock-held exit took ${elapsed_ms}ms"
for _ in $(seq 100); do
	[ "$(sql "SELECT count(*) FROM dive.steps s JOIN dive.runs r ON r.id = s.run_id WHERE r.code = 'FRA' AND s.status = 'done' AND s.action = 'start'")" -ge 2 ] && break
	sleep 0.2
done
kill -INT "$first"
rc=0; wait "$first" || rc=$?
expect_eq "$rc" "130" "SIGINT exit code"
expect_eq "$(state FRA)" "INTERRUPTED"
started=$(sql "SELECT string_agg(s.detail->>'container', ' ' ORDER BY s.detail->>'container') FROM dive.steps s JOIN dive.runs r ON r.id = s.run_id WHERE r.code = 'FRA' AND s.status = 'done' AND s.action = 'start' AND s.detail->>'created' = 'true'")
run spoke deploy FRA
expect_rc 6
expect_err "--resume"
run spoke deploy FRA --resume
expect_rc 0
for id in $started; do
	T_CHECKS=$((T_CHECKS + 1))
	docker inspect "$id" >/dev/null 2>&1 || fail "container $id was recreated by --resume"
done
expect_eq "$(state FRA)" "COMPLETE"

# kill -9 during configuration: the next command reports INTERRUPTED; --resume completes
"$DIVE" spoke deploy FRA >/dev/null 2>&1 &
victim=$!
for _ in $(seq 300); do
	[ "$(state FRA)" = CONFIGURING ] && break
	sleep 0.02
done
kill -9 "$victim"; wait "$victim" 2>/dev/null || true
run state show FRA --json
expect_rc 0
expect_eq "$(json_get 'd["instances"][0]["state"]')" "INTERRUPTED"
run spoke deploy FRA --resume
expect_rc 0
expect_eq "$(state FRA)" "COMPLETE"

# a service that never becomes healthy: the run fails naming it, rolls back, FAILED, error recorded
stacks=$(mktemp -d)
cp "$DIVE_SOURCE_DIR"/docker-compose.*.yml "$stacks"/
python3 - "$stacks/docker-compose.spoke.yml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("      NEXTAUTH_URL:", "      HEALTH: fail\n      NEXTAUTH_URL:", 1)
s = s.replace("    frontend:\n      timeout: 60s", "    frontend:\n      timeout: 8s", 1)
open(p, "w").write(s)
PY
DIVE_STACKS_DIR=$stacks run spoke deploy POL --json
expect_rc 1
expect_json
expect_eq "$(json_get 'd["outcome"]')" "rolled_back"
expect_eq "$(json_get 'd["error"]["service"]')" "frontend"
expect_eq "$(json_get 'bool(d["error"]["remediation"])')" "True"
expect_eq "$(ids dive-spoke-pol)" "" "rollback left containers"
expect_eq "$(state POL)" "FAILED"
run errors recent --json
expect_rc 0
expect_json
expect_eq "$(json_get 'any(e["instance"] == "POL" and e["remediation"] for e in d["errors"])')" "True"
rm -rf "$stacks"

# two spokes at once
"$DIVE" spoke deploy ESP >/dev/null 2>&1 &
a=$!
"$DIVE" spoke deploy POL >/dev/null 2>&1 &
b=$!
rc_a=0; wait "$a" || rc_a=$?
rc_b=0; wait "$b" || rc_b=$?
expect_eq "$rc_a/$rc_b" "0/0" "concurrent deploys"
expect_eq "$(state ESP)/$(state POL)" "COMPLETE/COMPLETE"

# down removes only its own spoke
hub_before=$(ids dive-hub)
deu_before=$(ids dive-spoke-deu)
esp_before=$(ids dive-spoke-esp)
run spoke down FRA
expect_rc 2
expect_err "--yes"
run spoke down FRA --yes
expect_rc 0
expect_eq "$(ids dive-spoke-fra)" "" "FRA containers gone"
expect_eq "$(state FRA)" "STOPPED"
expect_eq "$(ids dive-hub)" "$hub_before" "hub untouched"
expect_eq "$(ids dive-spoke-deu)" "$deu_before" "DEU untouched"
expect_eq "$(ids dive-spoke-esp)" "$esp_before" "ESP untouched"

# up after down: every service back and healthy (was a crash: the scheduler's
# steps ran with no pipeline when the run began after initialization)
run spoke up FRA --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["outcome"]')" "succeeded"
expect_eq "$(state FRA)" "COMPLETE"
run spoke status FRA --json
expect_rc 0
expect_eq "$(json_get 'd["healthy"]')" "True"
# up of a spoke that was never deployed: refused before any container, secret or state change
run spoke up ITA
expect_rc 2
expect_err "never initialised"
expect_eq "$(ids dive-spoke-ita)" "" "up of an uninitialised spoke created containers"
expect_eq "$(sql "SELECT coalesce(max(version), 0) || coalesce(max(state), 'none') FROM dive.instances WHERE code = 'ITA'")" "0UNKNOWN" "up of an uninitialised spoke changed its state"
[ ! -e "$DIVE_INSTANCES_DIR/ita" ] || fail "up of an uninitialised spoke wrote secrets"
# clean then deploy: a new instance from nothing
run spoke clean FRA --yes
expect_rc 0
expect_eq "$(ids dive-spoke-fra)" "" "FRA containers gone"
expect_eq "$(docker volume ls -q --filter label=dive.project=dive-spoke-fra)" "" "FRA volumes gone"
run spoke deploy FRA
expect_rc 0
expect_eq "$(state FRA)" "COMPLETE"
# the hub down then up, with DEU running all the while
run hub down --yes
expect_rc 0
expect_eq "$(ids dive-hub)" "" "hub containers gone"
expect_eq "$(state USA)" "STOPPED"
run hub up
expect_rc 0
run hub status --json
expect_rc 0
expect_eq "$(json_get 'd["healthy"]')" "True"
expect_eq "$(ids dive-spoke-deu)" "$deu_before" "DEU untouched by hub down and up"

# secrets never reach output or the state store
for f in "$DIVE_INSTANCES_DIR"/deu/secrets/*; do
	v=$(cat "$f")
	T_CHECKS=$((T_CHECKS + 1))
	if grep -rqF -- "$v" "$T_OUT" "$T_ERR"; then fail "a secret value reached the output"; fi
	[ -z "$(sql "SELECT 1 FROM dive.steps WHERE detail::text LIKE '%' || '$v' || '%' UNION ALL SELECT 1 FROM dive.errors WHERE message LIKE '%' || '$v' || '%' UNION ALL SELECT 1 FROM dive.transitions WHERE metadata::text LIKE '%' || '$v' || '%' UNION ALL SELECT 1 FROM dive.checkpoints WHERE payload::text LIKE '%' || '$v' || '%'")" ] ||
		fail "a secret value reached the state store"
done

done_ok
