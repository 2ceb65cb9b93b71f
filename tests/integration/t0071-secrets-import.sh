#!/usr/bin/env bash
# t0071: dive secrets import/list/rotate without stacks: a GCP Secret Manager
# export (dive-v3-<type>-<code> names) imported into the file provider and
# into the real Vault server of tests/env/up; names only in every output;
# bad input is one line and exit 2 with nothing written; dry runs write
# nothing; rotate refuses what it cannot rotate and plans the rest.
# Needs no stack lock: no stack is deployed.
. "$(dirname "$0")/lib.sh"
new_state_db t0071
: "${DIVE_VAULT_ADDR:?run tests/env/up and source tests/env/.env}"
WORK=$(mktemp -d)
PREFIX="t0071-$$"
vault_api() { # vault_api METHOD PATH: the root token's call, body on stdout
	curl -s -m 10 -X "$1" -H "X-Vault-Token: $(cat "$DIVE_VAULT_TOKEN_FILE")" "$DIVE_VAULT_ADDR/v1/$2"
}
cleanup() {
	for k in POSTGRES_PASSWORD MONGO_PASSWORD REDIS_PASSWORD KEYCLOAK_ADMIN_PASSWORD KEYCLOAK_CLIENT_SECRET \
		AUTH_SECRET SPOKE_OPAL_TOKEN FEDERATION_DEU_USA_SECRET; do
		vault_api DELETE "secret/metadata/$PREFIX/deu/$k" >/dev/null 2>&1 || true
	done
	rm -rf "$WORK" "$T_OUT" "$T_ERR"
	psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT

V1=pg-$$-aaaaaaaaaaaaaaaa V2=mongo-$$-bbbbbbbbbbbbbb V3=client-$$-cccccccccccc V4=shared-$$-dddddddd
V5=fed-$$-eeeeeeeeeeeeee V6=opal-$$-ffffffffffff V7=shared-redis-$$-gggg V8=other-$$-hhhhhhhhhh
cat >"$WORK/export.txt" <<EOF
# exported from GCP Secret Manager, project dive25
dive-v3-postgres-deu=$V1
dive-v3-mongodb-deu=$V2
dive-v3-client-secret-deu=$V3
dive-v3-auth-secret=$V4
dive-v3-federation-deu-usa=$V5
dive-v3-spoke-opal-token-deu=$V6
dive-v3-redis-password=$V7
dive-v3-postgres-fra=$V8
dive-v3-keycloak-client-secret=$V8
EOF
no_values() {
	T_CHECKS=$((T_CHECKS + 1))
	for v in "$V1" "$V2" "$V3" "$V4" "$V5" "$V6" "$V7" "$V8"; do
		if grep -qF -- "$v" "$T_OUT" "$T_ERR"; then fail "a secret value reached the output"; fi
	done
}

# --- the file provider --------------------------------------------------------------
export DIVE_SECRETS="file:$WORK/inst"
run secrets import DEU --from "$WORK/export.txt" --dry-run
expect_rc 0
expect_out "would import POSTGRES_PASSWORD"
expect_out "nothing was changed"
no_values
[ ! -e "$WORK/inst" ] || fail "a dry run wrote $WORK/inst"

run secrets import DEU --from "$WORK/export.txt" --json
expect_rc 0
expect_json
no_values
expect_eq "$(json_get 'sorted(d["imported"])')" "['AUTH_SECRET', 'FEDERATION_DEU_USA_SECRET', 'KEYCLOAK_CLIENT_SECRET', 'MONGO_PASSWORD', 'POSTGRES_PASSWORD', 'REDIS_PASSWORD', 'SPOKE_OPAL_TOKEN']"
# dive-v3-postgres-fra is another instance's, dive-v3-keycloak-client-secret a fallback a per-instance name beat
expect_eq "$(json_get 'd["skipped"]')" "2"
expect_eq "$(cat "$WORK/inst/deu/secrets/POSTGRES_PASSWORD")" "$V1"
expect_eq "$(cat "$WORK/inst/deu/secrets/KEYCLOAK_CLIENT_SECRET")" "$V3" "the per-instance name wins over the shared one"
expect_eq "$(cat "$WORK/inst/deu/secrets/AUTH_SECRET")" "$V4" "the shared fallback is used when no per-instance name exists"
expect_eq "$(cat "$WORK/inst/deu/secrets/FEDERATION_DEU_USA_SECRET")" "$V5"
expect_eq "$(stat -c %a "$WORK/inst/deu/secrets/SPOKE_OPAL_TOKEN")" "600"

# again: everything is kept unless --overwrite
echo "dive-v3-postgres-deu=new-$$-value-xxxxxxxx" >"$WORK/second.txt"
run secrets import DEU --from "$WORK/second.txt"
expect_rc 0
expect_out "kept POSTGRES_PASSWORD"
expect_eq "$(cat "$WORK/inst/deu/secrets/POSTGRES_PASSWORD")" "$V1"
run secrets import DEU --from "$WORK/second.txt" --overwrite
expect_rc 0
expect_out "imported POSTGRES_PASSWORD"
expect_eq "$(cat "$WORK/inst/deu/secrets/POSTGRES_PASSWORD")" "new-$$-value-xxxxxxxx"

# a malformed file: exit 2, its line named, no value shown, nothing written
printf 'dive-v3-redis-deu=%s\nthis line has no equals sign\n' "$V7" >"$WORK/bad.txt"
before=$(find "$WORK/inst" -type f -exec md5sum {} + | sort)
run secrets import DEU --from "$WORK/bad.txt" --overwrite
expect_rc 2
expect_err "bad.txt:2: not NAME=VALUE"
no_values
expect_eq "$(find "$WORK/inst" -type f -exec md5sum {} + | sort)" "$before" "a refused import wrote"
run secrets import DEU --from "$WORK/missing.txt"
expect_rc 2
run secrets import DEU
expect_rc 2
expect_err "--from FILE"

# list: names, set or missing, never values
run secrets list DEU --json
expect_rc 0
expect_json
no_values
expect_eq "$(json_get 'd["provider"]')" "file"
expect_eq "$(json_get '[s["set"] for s in d["secrets"] if s["name"] == "KEYCLOAK_ADMIN_PASSWORD"]')" "[False]"
expect_eq "$(json_get '[s["use"] for s in d["secrets"] if s["name"] == "FEDERATION_DEU_USA_SECRET"]')" "['federation']"
expect_eq "$(json_get '[s["set"] for s in d["secrets"] if s["name"] == "AUTH_SECRET"]')" "[True]"

# rotate: refused where a new value would lock a service out, planned where it can be applied
run secrets rotate DEU POSTGRES_PASSWORD
expect_rc 2
expect_err "data volume"
run secrets rotate DEU NOT_A_SECRET_OF_DEU
expect_rc 2
expect_err "is not a secret of DEU"
run secrets rotate DEU KEYCLOAK_CLIENT_SECRET --dry-run --json
expect_rc 0
expect_json
no_values
expect_eq "$(json_get 'd["how"]')" "redeploy"
expect_eq "$(json_get 'sorted(d["services"])')" "['backend', 'frontend']"
expect_eq "$(cat "$WORK/inst/deu/secrets/KEYCLOAK_CLIENT_SECRET")" "$V3" "a dry run rotated"
run secrets rotate DEU FEDERATION_DEU_USA_SECRET --dry-run --json
expect_rc 0
expect_eq "$(json_get 'd["how"]')" "federation"
expect_eq "$(json_get 'd["federation"]')" "USA"
run secrets rotate DEU REDIS_PASSWORD --dry-run
expect_rc 0
run secrets rotate DEU SPOKE_OPAL_TOKEN --dry-run
expect_rc 0
expect_out "would rotate SPOKE_OPAL_TOKEN of DEU"

# --- the Vault server -------------------------------------------------------------------
export DIVE_SECRETS="vault:$DIVE_VAULT_ADDR,token-file=$DIVE_VAULT_TOKEN_FILE,path=$PREFIX/<code>/<KEY>"
run secrets import DEU --from "$WORK/export.txt"
expect_rc 0
no_values
expect_out "7 imported, 0 kept, 2 names skipped"
expect_eq "$(vault_api GET "secret/data/$PREFIX/deu/MONGO_PASSWORD" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["data"]["value"])')" "$V2"
run secrets list DEU
expect_rc 0
no_values
expect_out "vault:$DIVE_VAULT_ADDR secret/$PREFIX/deu/<KEY>"
expect_eq "$(grep -c ' set ' "$T_OUT")" "7"
expect_out "KEYCLOAK_ADMIN_PASSWORD"

# a bad spec: one line, exit 2, before anything
DIVE_SECRETS="vault:http://192.0.2.1:8200" run secrets list DEU
expect_rc 2
expect_err "loopback"
DIVE_SECRETS="vault:$DIVE_VAULT_ADDR,colour=blue" run secrets list DEU
expect_rc 2
expect_err "unknown vault option 'colour'"
done_ok
