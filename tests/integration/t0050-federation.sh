#!/usr/bin/env bash
# t0050: federation of the deployed hub and DEU through the real binary, the
# real Keycloaks, the hub's FerretDB and dockerd: register and approve DEU
# (objects on both sides, public), suspend, unregister (gone, hidden); an IdP
# made by hand is named by audit (exit 5) and pruned by reconcile; ten orphans
# go in one reconcile and a second changes nothing; an unreachable MongoDB and
# an open Keycloak breaker make audit and idps --public fail (exit 1), never
# "in sync"; a held lock refuses a change; no secret reaches any output or the
# federation store.
#
# Deploys the hub and DEU when t0040 did not leave them up (idempotent otherwise).
# The federation store is the hub's (dive-v3): the test revokes DEU and
# deletes its own identity providers on exit.
. "$(dirname "$0")/lib.sh"
new_state_db t0050
export DIVE_INSTANCES_DIR=${DIVE_INSTANCES_DIR:-$DIVE_SOURCE_DIR/instances}
export MONGOC_DISABLE_SHM=1
unset DIVE_FEDERATION_STORE_URL DIVE_RETRY

# the hub and DEU, deployed here when t0040 did not leave them (idempotent when it did)
run hub up
expect_rc 0
run spoke deploy DEU
expect_rc 0

ALL=$(mktemp) KC_BODY=$(mktemp)
ORPHANS="alb bgr hrv cze est isl lva ltu mne mkd"
HAND=nzl

# frun ARGS...: run, and keep every output for the secret check at the end.
frun() {
	run "$@"
	cat "$T_OUT" "$T_ERR" >>"$ALL"
}

port() { "$DIVE" spoke ports "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ports"]["keycloak_http"])'; }
HUB=$(port USA)
DEU=$(port DEU)

# kc_api PORT CODE METHOD PATH [JSON]: an admin call; the body lands in $KC_BODY, the status on stdout.
# The admin password goes to curl on stdin, never on a command line.
kc_api() {
	local lower tok
	lower=$(echo "$2" | tr 'A-Z' 'a-z')
	tok=$(printf %s "$(cat "$DIVE_INSTANCES_DIR/$lower/secrets/KEYCLOAK_ADMIN_PASSWORD")" |
		curl -sf -d grant_type=password -d client_id=admin-cli -d username=admin --data-urlencode password@- \
			"http://127.0.0.1:$1/realms/master/protocol/openid-connect/token" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])') || { echo 000; return; }
	curl -s -o "$KC_BODY" -w '%{http_code}' -X "$3" -H "Authorization: Bearer $tok" \
		-H 'Content-Type: application/json' ${5:+-d "$5"} "http://127.0.0.1:$1/admin$4"
}
body() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$KC_BODY" "$1"; }

hub_idp() { kc_api "$HUB" USA GET "/realms/dive-v3-broker-usa/identity-provider/instances/$1"; }
hand_idp() {
	kc_api "$HUB" USA POST /realms/dive-v3-broker-usa/identity-provider/instances \
		"{\"alias\":\"$1-idp\",\"providerId\":\"oidc\",\"enabled\":true,\"config\":{\"clientId\":\"hand\",\"authorizationUrl\":\"http://localhost:9/auth\",\"tokenUrl\":\"http://localhost:9/token\",\"validateSignature\":\"false\"}}"
}
clients() { kc_api "$1" "$2" GET "/realms/$3/clients?clientId=$4" >/dev/null; body 'len(d)'; }

cleanup() {
	"$DIVE" federation unregister DEU --yes >/dev/null 2>&1 || true
	"$DIVE" federation unregister ISL --yes >/dev/null 2>&1 || true
	for c in $HAND $ORPHANS; do
		kc_api "$HUB" USA DELETE "/realms/dive-v3-broker-usa/identity-provider/instances/$c-idp" >/dev/null 2>&1 || true
	done
	rm -f "$T_OUT" "$T_ERR" "$ALL" "$KC_BODY"
	psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT

# Spoke stacks other than DEU running now (another test's): their drift is theirs, not ours.
OTHERS=$(docker ps --format '{{.Label "dive.project"}}' | grep '^dive-spoke-' | grep -v '^dive-spoke-deu$' |
	sed 's/^dive-spoke-//' | tr 'a-z' 'A-Z' | sort -u | tr '\n' ' ')

# expect_audit_clean: exit 0, or, with other spokes running, drift only in their codes.
expect_audit_clean() {
	frun federation audit --json
	expect_json
	if [ -z "$OTHERS" ]; then
		expect_rc 0
		expect_eq "$(json_get 'd["in_sync"]')" "True"
	else
		T_CHECKS=$((T_CHECKS + 1))
		[ "$T_RC" -eq 0 ] || [ "$T_RC" -eq 5 ] || fail "audit exit $T_RC"
		expect_eq "$(json_get "[f['code'] for f in d['findings'] if not f['in_sync'] and f['code'] not in '$OTHERS'.split()]")" "[]"
	fi
}

# leftovers of an earlier run
"$DIVE" federation unregister DEU --yes >/dev/null 2>&1 || true
for c in $HAND $ORPHANS; do kc_api "$HUB" USA DELETE "/realms/dive-v3-broker-usa/identity-provider/instances/$c-idp" >/dev/null; done

# --- register and approve -------------------------------------------------------------
frun federation register DEU --dry-run
expect_rc 0
expect_out "would register DEU"
frun federation status DEU --json
expect_rc 0
expect_eq "$(json_get 'd["registration"] in ("revoked", None)')" "True" "dry run registered nothing"

frun federation register DEU --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["registration"]["status"]')" "pending"
expect_eq "$(json_get 'd["registration"]["idpUrl"]')" "http://keycloak-deu:8080"
frun federation register DEU
expect_rc 6
expect_err "already registered (pending)"

frun federation approve DEU --json
expect_rc 0
expect_json
expect_eq "$(json_get 'len(d["steps"])')" "4"
expect_eq "$(json_get 'all(s["done"] for s in d["steps"])')" "True"
expect_eq "$(json_get 'd["deferred"]')" "0"
expect_eq "$(json_get 'd["registration"]["status"]')" "approved"

expect_eq "$(hub_idp deu-idp)" "200" "hub has deu-idp"
expect_eq "$(body 'd["config"]["validateSignature"], d["config"]["useJwksUrl"], d["enabled"]')" "('true', 'true', True)"
expect_eq "$(body 'd["config"]["jwksUrl"]')" "http://keycloak-deu:8080/realms/dive-v3-broker-deu/protocol/openid-connect/certs"
expect_eq "$(clients "$HUB" USA dive-v3-broker-usa dive-v3-broker-deu)" "1" "hub has client dive-v3-broker-deu"
expect_eq "$(body 'd[0]["redirectUris"]')" "['http://localhost:$DEU/realms/dive-v3-broker-deu/broker/usa-idp/endpoint']"
expect_eq "$(body 'd[0]["publicClient"], d[0]["directAccessGrantsEnabled"]')" "(False, False)"
expect_eq "$(kc_api "$DEU" DEU GET /realms/dive-v3-broker-deu/identity-provider/instances/usa-idp)" "200" "spoke has usa-idp"
expect_eq "$(body 'd["config"]["validateSignature"], d["config"]["clientId"]')" "('true', 'dive-v3-broker-deu')"
expect_eq "$(clients "$DEU" DEU dive-v3-broker-deu dive-v3-broker-usa)" "1" "spoke has client dive-v3-broker-usa"
expect_eq "$(body 'd[0]["redirectUris"]')" "['http://localhost:$HUB/realms/dive-v3-broker-usa/broker/deu-idp/endpoint']"

# approve again: nothing changes
frun federation approve DEU --json
expect_rc 0
expect_eq "$(json_get 'd["already"], d["changed"]')" "(True, 0)"

frun federation idps --public --json
expect_rc 0
expect_json
expect_eq "$(json_get '[i["alias"] for i in d["idps"] if i["code"] == "DEU"]')" "['deu-idp']"
frun federation status DEU --json
expect_rc 0
expect_eq "$(json_get 'd["registration"], d["idp"], d["hub_client"], d["spoke_idp"], d["spoke_client"], d["public"]')" \
	"('approved', 'enabled', True, True, True, True)"
expect_audit_clean

# --- an IdP made by hand: named by audit, pruned by reconcile ---------------------------
expect_eq "$(hand_idp $HAND)" "201"
frun federation audit
expect_rc 5
expect_out "NZL"
expect_out "orphaned-idp"
frun federation audit --json
expect_rc 5
expect_eq "$(json_get '[(f["alias"], [k["kind"] for k in f["drift"]]) for f in d["findings"] if f["code"] == "NZL"]')" \
	"[('nzl-idp', ['orphaned-idp'])]"
frun federation reconcile --prune --dry-run
expect_rc 0
expect_out "would delete idp 'nzl-idp' in realm 'dive-v3-broker-usa'"
expect_eq "$(hub_idp nzl-idp)" "200" "dry run deleted nothing"
frun federation reconcile --prune
expect_rc 0
expect_out "deleted    idp 'nzl-idp'"
expect_eq "$(hub_idp nzl-idp)" "404" "reconcile --prune removed the hand-made IdP"
expect_eq "$(hub_idp deu-idp)" "200" "and kept DEU's"
expect_audit_clean

# --- ten orphans in one reconcile; the second changes nothing ---------------------------
for c in $ORPHANS; do expect_eq "$(hand_idp "$c")" "201"; done
frun federation audit --json
expect_rc 5
expect_eq "$(json_get 'len([f for f in d["findings"] if f["drift"] and f["drift"][0]["kind"] == "orphaned-idp"])')" "10"
frun federation reconcile --prune --json
expect_rc 0
expect_json
expect_eq "$(json_get 'len([s for s in d["steps"] if s["object"] == "idp" and s["outcome"] == "deleted"])')" "10"
expect_eq "$(json_get 'd["remaining"]')" "0"
frun federation reconcile --prune --json
expect_rc 0
expect_eq "$(json_get 'd["planned"], len(d["steps"]), d["changed"]')" "(0, 0, 0)" "second reconcile changed nothing"
for c in $ORPHANS; do expect_eq "$(hub_idp "$c-idp")" "404"; done
expect_audit_clean

# --- suspend hides, approve shows again ---------------------------------------------------
frun federation suspend DEU --reason "t0050"
expect_rc 0
expect_eq "$(hub_idp deu-idp)" "200"
expect_eq "$(body 'd["enabled"]')" "False" "suspend disabled the hub IdP"
frun federation idps --public --json
expect_rc 0
expect_eq "$(json_get '[i for i in d["idps"] if i["code"] == "DEU"]')" "[]"
frun federation approve DEU
expect_rc 0
hub_idp deu-idp >/dev/null
expect_eq "$(body 'd["enabled"]')" "True"

# a spoke that does not run is not approved, and nothing is written
frun federation register ISL
expect_rc 0
frun federation approve ISL
expect_rc 3
expect_err "is not running"
frun federation status ISL --json
expect_rc 0
expect_eq "$(json_get 'd["registration"], d["idp"]')" "('pending', 'absent')"
frun federation unregister ISL --yes
expect_rc 0

# --- failures: fail closed, exit 1, quickly once the breaker is open ----------------------
for _ in 1 2 3 4 5 6; do
	DIVE_FEDERATION_STORE_URL=mongodb://127.0.0.1:1/ DIVE_RETRY=mongodb.attempts=2 frun federation audit
	expect_rc 1
	grep -qF "in sync" "$T_OUT" && fail "an unreachable store reported in sync"
	grep -qF "breaker 'mongo:hub' is open" "$T_ERR" && break
done
expect_err "breaker 'mongo:hub' is open"
start=$(date +%s%N)
DIVE_FEDERATION_STORE_URL=mongodb://127.0.0.1:1/ frun federation idps --public --json
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 1
expect_out '"ok":false'
grep -qF "deu-idp" "$T_OUT" && fail "idps --public showed an IdP without reading the store"
[ "$elapsed_ms" -lt 2000 ] || fail "fast fail took ${elapsed_ms}ms"
frun breaker close mongo:hub
expect_rc 0

frun breaker open keycloak:usa
expect_rc 0
start=$(date +%s%N)
frun federation audit
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 1
expect_err "keycloak:usa"
expect_no_out
[ "$elapsed_ms" -lt 2000 ] || fail "fast fail took ${elapsed_ms}ms"
frun federation idps --public
expect_rc 1
expect_no_out
frun breaker close keycloak:usa
expect_rc 0

# a held instance lock refuses a change at once, naming its holder
"$DIVE" lock hold DEU --for 30 --message "t0050 holds it" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do
	[ "$(sql "SELECT count(*) FROM dive.live_locks")" = 1 ] && break
	sleep 0.1
done
frun federation suspend DEU
expect_rc 4
expect_err "t0050 holds it"
hub_idp deu-idp >/dev/null
expect_eq "$(body 'd["enabled"]')" "True" "a refused suspend changed nothing"
# reconcile carries on past a locked code and exits with its failure
expect_eq "$(hand_idp deu)" "409" "deu-idp exists"
for c in alb bgr; do hand_idp "$c" >/dev/null; done
"$DIVE" lock hold ALB --for 30 --message "t0050 holds ALB" >/dev/null 2>&1 &
holder2=$!
for _ in $(seq 50); do
	[ "$(sql "SELECT count(*) FROM dive.live_locks")" = 2 ] && break
	sleep 0.1
done
frun federation reconcile --prune
expect_rc 4
expect_err "ALB"
expect_eq "$(hub_idp bgr-idp)" "404" "the free code was reconciled"
expect_eq "$(hub_idp alb-idp)" "200" "the locked code was left alone"
kill "$holder" "$holder2" 2>/dev/null; wait "$holder" "$holder2" 2>/dev/null || true
frun federation reconcile --prune
expect_rc 0
expect_eq "$(hub_idp alb-idp)" "404"

# --- the stack gone: a stale registration, hidden from the public list ------------------
wait_ready() { # wait_ready URL: up to 180 s
	for _ in $(seq 360); do
		curl -sf -m 2 -o /dev/null "$1" && return 0
		sleep 0.5
	done
	fail "not ready again: $1"
}
deu_containers=$(docker ps -q --filter label=dive.project=dive-spoke-deu)
docker stop $deu_containers >/dev/null
frun federation audit --json
expect_rc 5
expect_eq "$(json_get 'any(x["code"] == "DEU" and any(k["kind"] == "stale-registration" for k in x["drift"]) for x in d["findings"])')" "True"
frun federation idps --public --json
expect_rc 0
expect_eq "$(json_get '[i for i in d["idps"] if i["code"] == "DEU"]')" "[]"
docker start $deu_containers >/dev/null
wait_ready "http://127.0.0.1:$(( 19000 + 11 ))/health/ready"

# --- Keycloak stopped: audit fails (exit 1), never "in sync" -------------------------------
trap 'docker start dive-hub-keycloak >/dev/null 2>&1; cleanup' EXIT
docker stop dive-hub-keycloak >/dev/null
start=$(date +%s%N)
DIVE_RETRY=keycloak.attempts=2,keycloak.initial_ms=200,keycloak.cap_ms=500 frun federation audit
expect_rc 1
grep -qF "in sync" "$T_OUT" && fail "a stopped Keycloak reported in sync"
echo "audit with Keycloak stopped: exit 1 after $(( ($(date +%s%N) - start) / 1000000 )) ms"
docker start dive-hub-keycloak >/dev/null
trap cleanup EXIT
wait_ready "http://127.0.0.1:19000/health/ready"
"$DIVE" breaker close keycloak:usa >/dev/null 2>&1 || true

# --- unregister: gone on both sides, hidden ---------------------------------------------
frun federation unregister DEU </dev/null
expect_rc 2
expect_err "--yes"
expect_eq "$(hub_idp deu-idp)" "200" "a refused unregister changed nothing"
frun federation unregister DEU --dry-run
expect_rc 0
expect_out "would delete idp 'usa-idp' in realm 'dive-v3-broker-deu'"
frun federation unregister DEU --yes
expect_rc 0
expect_out "DEU revoked"
expect_eq "$(hub_idp deu-idp)" "404" "hub IdP gone"
expect_eq "$(clients "$HUB" USA dive-v3-broker-usa dive-v3-broker-deu)" "0" "hub client gone"
expect_eq "$(kc_api "$DEU" DEU GET /realms/dive-v3-broker-deu/identity-provider/instances/usa-idp)" "404" "spoke IdP gone"
expect_eq "$(clients "$DEU" DEU dive-v3-broker-deu dive-v3-broker-usa)" "0" "spoke client gone"
frun federation idps --public --json
expect_rc 0
expect_eq "$(json_get '[i for i in d["idps"] if i["code"] == "DEU"]')" "[]"
frun federation status DEU --json
expect_rc 0
expect_eq "$(json_get 'd["registration"], d["idp"]')" "('revoked', 'absent')"

# --- no secret in any output, nor in the federation store ---------------------------------
T_CHECKS=$((T_CHECKS + 1))
ls "$DIVE_INSTANCES_DIR"/usa/secrets/FEDERATION_USA_DEU_SECRET "$DIVE_INSTANCES_DIR"/deu/secrets/FEDERATION_DEU_USA_SECRET >/dev/null ||
	fail "the federation secrets are not in the provider"
store=$(mktemp)
docker exec dive-hub-mongodb sh -c 'cat /data/db/dive-v3.sqlite*' >"$store" 2>/dev/null || true
T_CHECKS=$((T_CHECKS + 1))
grep -qaF "spoke-deu-" "$store" || fail "cannot read the hub's federation store files to search them"
for f in "$DIVE_INSTANCES_DIR"/usa/secrets/* "$DIVE_INSTANCES_DIR"/deu/secrets/*; do
	v=$(cat "$f")
	T_CHECKS=$((T_CHECKS + 1))
	if grep -qF -- "$v" "$ALL"; then fail "the value of secret $(basename "$f") reached the output"; fi
	if grep -qaF -- "$v" "$store"; then fail "the value of secret $(basename "$f") reached the federation store"; fi
done
rm -f "$store"

done_ok
