#!/usr/bin/env bash
# t0181: spoke init, then spoke deploy uses the values (issue 21), for real:
# FRA on the local engine with the local images, beside the hub (deployed
# here when an earlier test did not leave it up; idempotent when it did).
#
#  - display_name and hub_url reach the containers (INSTANCE_NAME, HUB_URL),
#    the service overrides too (memory, CPUs, extra environment);
#  - federation.approval: manual on a hub whose policy is auto leaves FRA
#    pending, and the registration carries the display name and the scopes;
#  - the configuration hash is on the run and on the instance's row; a
#    changed file is a change the next deploy applies (only the service
#    whose values changed is recreated; the row's hash follows).
#
# Deploys a real stack: run it under the stack lock (flock /work/.stack.lock ...).
# Removes FRA, its instance file and its federation registration at the end.
. "$(dirname "$0")/lib.sh"
new_state_db t0181
export DIVE_INSTANCES_DIR=${DIVE_INSTANCES_DIR:-$DIVE_SOURCE_DIR/instances}
export MONGOC_DISABLE_SHM=1
unset DIVE_SECRETS DIVE_HUB_URL
inst=$DIVE_INSTANCES_DIR/fra/instance.yml
[ -e "$inst" ] && fail "$inst exists: this test writes it (remove it first)"
cleanup() {
	"$DIVE" federation unregister FRA >/dev/null 2>&1 || true
	"$DIVE" spoke clean FRA --yes >/dev/null 2>&1 || true
	rm -f "$inst"
	rm -f "$T_OUT" "$T_ERR"
	psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT

env_of() { docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$1"; }
host_of() { docker inspect -f "{{.HostConfig.$2}}" "$1"; }
id_of() { docker inspect -f '{{.Id}}' "$1"; }

"$DIVE" spoke clean FRA --yes >/dev/null 2>&1 || true
run images build
expect_rc 0
run hub up
expect_rc 0

run spoke init FRA --hub-url http://dive-hub-backend:4000/ display_name=Paris-Test federation.approval=manual \
	federation.requested_scopes=policy:base,policy:fra,data:federation_matrix
expect_rc 0
cat >>"$DIVE_INSTANCES_DIR/fra/instance.yml" <<'YML'
services:
  keycloak:
    memory: 1536m
    environment:
      KC_LOG_LEVEL: warn
  backend:
    cpus: 1.5
    environment:
      DIVE_FEATURE: one
YML
run --json spoke config FRA
expect_rc 0
hash1=$(json_get 'd["hash"]')

run spoke deploy FRA --json
expect_rc 0
expect_eq "$(json_get 'd["outcome"]')" "succeeded"
run1=$(json_get 'd["run_id"]')

# the values, on the containers
T_CHECKS=$((T_CHECKS + 1)); env_of dive-spoke-fra-backend | grep -qx 'INSTANCE_NAME=Paris-Test' || fail "display_name did not reach the backend"
T_CHECKS=$((T_CHECKS + 1)); env_of dive-spoke-fra-backend | grep -qx 'HUB_URL=http://dive-hub-backend:4000/' || fail "hub_url did not reach the backend"
T_CHECKS=$((T_CHECKS + 1)); env_of dive-spoke-fra-backend | grep -qx 'DIVE_FEATURE=one' || fail "the extra environment did not reach the backend"
T_CHECKS=$((T_CHECKS + 1)); env_of dive-spoke-fra-keycloak | grep -qx 'KC_LOG_LEVEL=warn' || fail "the override did not replace the stack's KC_LOG_LEVEL"
expect_eq "$(host_of dive-spoke-fra-keycloak Memory)" "$((1536 * 1024 * 1024))" "keycloak's memory limit"
expect_eq "$(host_of dive-spoke-fra-backend NanoCpus)" "1500000000" "backend's CPUs"
expect_eq "$(host_of dive-spoke-fra-opa Memory)" "0" "a service without overrides"

# the state rows: the run and the instance carry the hash spoke config shows
expect_eq "$(sql "SELECT config_hash FROM dive.runs WHERE id = $run1")" "$hash1" "the run's configuration hash"
expect_eq "$(sql "SELECT config_hash FROM dive.instances WHERE code = 'FRA'")" "$hash1" "the instance's configuration hash"
expect_eq "$(sql "SELECT state FROM dive.instances WHERE code = 'FRA'")" "COMPLETE"

# federation.approval manual: FRA waits, on a hub whose own policy is auto; name and scopes registered
run federation status FRA --json
expect_rc 0
T_CHECKS=$((T_CHECKS + 1)); grep -q '"pending"' "$T_OUT" || fail "FRA is not pending under federation.approval: manual"
T_CHECKS=$((T_CHECKS + 1)); grep -q '"Paris-Test"' "$T_OUT" || fail "the registration does not carry the display name"
T_CHECKS=$((T_CHECKS + 1)); grep -q 'data:federation_matrix' "$T_OUT" || fail "the registration does not carry the scopes"

# a changed file is a change the next deploy applies: only the backend is recreated
kc=$(id_of dive-spoke-fra-keycloak)
be=$(id_of dive-spoke-fra-backend)
sed -i 's/DIVE_FEATURE: one/DIVE_FEATURE: two/' "$DIVE_INSTANCES_DIR/fra/instance.yml"
run --json spoke config FRA
hash2=$(json_get 'd["hash"]')
T_CHECKS=$((T_CHECKS + 1)); [ "$hash2" != "$hash1" ] || fail "the hash did not change with the file"
run spoke deploy FRA --json
expect_rc 0
expect_eq "$(id_of dive-spoke-fra-keycloak)" "$kc" "keycloak (unchanged) was recreated"
T_CHECKS=$((T_CHECKS + 1)); [ "$(id_of dive-spoke-fra-backend)" != "$be" ] || fail "the backend was not recreated"
T_CHECKS=$((T_CHECKS + 1)); env_of dive-spoke-fra-backend | grep -qx 'DIVE_FEATURE=two' || fail "the changed value did not reach the backend"
expect_eq "$(sql "SELECT config_hash FROM dive.instances WHERE code = 'FRA'")" "$hash2" "the instance's hash after the change"
expect_eq "$(sql "SELECT count(DISTINCT config_hash) FROM dive.runs WHERE code = 'FRA'")" "2" "the runs show when it changed"

done_ok
