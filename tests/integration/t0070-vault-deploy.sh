#!/usr/bin/env bash
# t0070: the hub and DEU deployed with DIVE_SECRETS=vault:... against the
# real Vault server of tests/env/up: every secret generated into Vault, no
# secret file written, no value in any output, the state store or the hub's
# MongoDB; a stopped Vault makes the deploy fail fast with VAULT_UNREACHABLE
# and opens its breaker, a sealed one says so (VAULT_SEALED); secrets
# rotate DEU KEYCLOAK_CLIENT_SECRET recreates the services that use it,
# updates DEU's Keycloak client (the old secret is refused, the new one
# accepted) and re-runs the deploy's verification phase; rotating a
# federation secret updates both sides of the federation.
#
# Deploys the hub: run it under the stack lock (flock /work/.stack.lock).
# It starts from nothing (the hub and DEU left by t0040/t0050 are removed,
# volumes included, since their databases hold the file provider's
# passwords) and, on exit, removes the hub and DEU it deployed, volumes
# included, and its paths in Vault. Run it after t0040 and t0050.
. "$(dirname "$0")/lib.sh"
new_state_db t0070
: "${DIVE_VAULT_ADDR:?run tests/env/up and source tests/env/.env}"
export MONGOC_DISABLE_SHM=1
unset DIVE_FEDERATION_STORE_URL DIVE_RETRY DIVE_BREAKER
WORK=$(mktemp -d)
export DIVE_INSTANCES_DIR="$WORK/instances"
mkdir -p "$DIVE_INSTANCES_DIR"
PREFIX="t0070-$$"
export DIVE_SECRETS="vault:$DIVE_VAULT_ADDR,token-file=$DIVE_VAULT_TOKEN_FILE,path=$PREFIX/<code>/<KEY>"
ALL="$WORK/all-output"
DEV_PID=""

vault_api() { # vault_api METHOD PATH [JSON]: the root token's call (token through a descriptor), body on stdout
	curl -s -m 10 -X "$1" -H @<(printf 'X-Vault-Token: %s\n' "$(cat "$DIVE_VAULT_TOKEN_FILE")") \
		${3:+-H 'Content-Type: application/json' --data "$3"} "$DIVE_VAULT_ADDR/v1/$2"
}
vault_keys() { vault_api GET "secret/metadata/$PREFIX/$1/?list=true" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["data"]["keys"]))' 2>/dev/null; }
vault_value() { vault_api GET "secret/data/$PREFIX/$1/$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["data"]["value"])'; }

cleanup() {
	local c k
	[ -z "$DEV_PID" ] || kill "$DEV_PID" 2>/dev/null || true
	"$DIVE" federation unregister DEU --yes >/dev/null 2>&1 || true
	"$DIVE" spoke clean DEU --yes >/dev/null 2>&1 || true
	"$DIVE" hub down --yes >/dev/null 2>&1 || true
	docker volume ls -q --filter label=dive.project=dive-hub | xargs -r docker volume rm >/dev/null 2>&1 || true
	for c in usa deu; do
		for k in $(vault_keys "$c"); do vault_api DELETE "secret/metadata/$PREFIX/$c/$k" >/dev/null 2>&1 || true; done
	done
	rm -rf "$WORK" "$T_OUT" "$T_ERR"
	psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT

# vrun ARGS...: run, and keep every output for the secret scan at the end.
vrun() {
	run "$@"
	cat "$T_OUT" "$T_ERR" >>"$ALL"
}

# Start from nothing: the stacks another test left, and their volumes.
"$DIVE" federation unregister DEU --yes >/dev/null 2>&1 || true
"$DIVE" hub down --yes >/dev/null 2>&1 || true
"$DIVE" spoke clean DEU --yes >/dev/null 2>&1 || true
docker volume ls -q --filter label=dive.project=dive-hub | xargs -r docker volume rm >/dev/null 2>&1 || true

vrun images build
expect_rc 0

# --- deploy with every secret in Vault -------------------------------------------------------
vrun hub up
expect_rc 0
expect_out "hub USA: succeeded"
vrun spoke deploy DEU --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["outcome"]')" "succeeded"
expect_eq "$(json_get 'all(c["ok"] for c in d["checks"])')" "True"
for k in POSTGRES_PASSWORD KEYCLOAK_ADMIN_PASSWORD KEYCLOAK_CLIENT_SECRET AUTH_SECRET; do
	T_CHECKS=$((T_CHECKS + 1))
	case " $(vault_keys deu) " in *" $k "*) ;; *) fail "DEU's $k is not in Vault" ;; esac
	case " $(vault_keys usa) " in *" $k "*) ;; *) fail "the hub's $k is not in Vault" ;; esac
done
T_CHECKS=$((T_CHECKS + 1))
files=$(find "$DIVE_INSTANCES_DIR" -type f | head -5)
[ -z "$files" ] || fail "secret files were written: $files"
vrun secrets list DEU
expect_rc 0
expect_out "vault:$DIVE_VAULT_ADDR secret/$PREFIX/deu/<KEY>"
T_CHECKS=$((T_CHECKS + 1))
! grep -q ' missing ' <(grep -v FEDERATION "$T_OUT") || fail "a stack secret is missing after the deploy"

# a redeploy reads the same values: nothing recreated
before=$(docker ps -aq --filter label=dive.project=dive-spoke-deu --no-trunc | sort)
vrun spoke deploy DEU
expect_rc 0
expect_eq "$(docker ps -aq --filter label=dive.project=dive-spoke-deu --no-trunc | sort)" "$before" "unchanged containers kept"

# --- Vault stopped: fails fast with its code, and the breaker opens ------------------------------
# a loopback port nothing listens on (the kernel's pick, released at once)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
DOWN_PORT=$(free_port)
for i in 1 2; do
	start=$(date +%s%N)
	DIVE_SECRETS="vault:http://127.0.0.1:$DOWN_PORT,token-file=$DIVE_VAULT_TOKEN_FILE" vrun spoke deploy DEU --json
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "deploy with vault stopped ($i): exit $T_RC in ${ms} ms"
	expect_rc 7
	expect_json
	if [ "$i" = 1 ]; then
		expect_eq "$(json_get 'd["error"]["name"]')" "VAULT_UNREACHABLE"
	else
		expect_eq "$(json_get 'd["error"]["name"]')" "CIRCUIT_OPEN"
	fi
done
vrun breaker show "vault:127.0.0.1:$DOWN_PORT" --json
expect_rc 0
expect_eq "$(json_get 'd["state"]')" "open"
expect_eq "$(docker ps -aq --filter label=dive.project=dive-spoke-deu --no-trunc | sort)" "$before" "a failed deploy touched DEU"

# --- a sealed Vault: its own message ----------------------------------------------------------
SEALED_PORT=$(free_port)
DEV_TOKEN="t0070-dev-$$"
printf %s "$DEV_TOKEN" >"$WORK/dev-token"
chmod 600 "$WORK/dev-token"
HOME="$WORK" "$DIVE_VAULT_BIN" server -dev -dev-listen-address="127.0.0.1:$SEALED_PORT" \
	-dev-root-token-id="$DEV_TOKEN" -dev-no-store-token >"$WORK/dev.log" 2>&1 &
DEV_PID=$!
for _ in $(seq 300); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SEALED_PORT/v1/sys/health")" = 200 ] && break
	sleep 0.1
done
curl -s -X PUT -H @<(printf 'X-Vault-Token: %s\n' "$DEV_TOKEN") "http://127.0.0.1:$SEALED_PORT/v1/sys/seal"
DIVE_SECRETS="vault:http://127.0.0.1:$SEALED_PORT,token-file=$WORK/dev-token" vrun spoke deploy DEU
expect_rc 7
expect_err "is sealed"
expect_err "VAULT_SEALED"
kill "$DEV_PID"
wait "$DEV_PID" 2>/dev/null || true
DEV_PID=""

# --- rotate DEU's Keycloak client secret ---------------------------------------------------------
KC=$("$DIVE" spoke ports DEU --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ports"]["keycloak_http"])')
# kc_token: an admin token of DEU's Keycloak, the password from Vault on curl's stdin
kc_token() {
	vault_value deu KEYCLOAK_ADMIN_PASSWORD | tr -d '\n' |
		curl -sf -d grant_type=password -d client_id=admin-cli -d username=admin --data-urlencode password@- \
			"http://127.0.0.1:$KC/realms/master/protocol/openid-connect/token" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
kc_client_secret() {
	local tok id
	tok=$(kc_token)
	id=$(curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$KC/admin/realms/dive-v3-broker-deu/clients?clientId=dive-v3-broker-deu" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
	curl -s -H "Authorization: Bearer $tok" "http://127.0.0.1:$KC/admin/realms/dive-v3-broker-deu/clients/$id/client-secret" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["value"])'
}
# client_auth SECRET: "refused" when Keycloak's token endpoint refuses the client with SECRET ("Invalid
# client or Invalid client credentials", whatever the error code: Keycloak 26 says unauthorized_client),
# "accepted" when the secret gets past client authentication (the app client then has no service account
# for this grant, or gets a token)
client_auth() {
	printf %s "$1" | curl -s -d grant_type=client_credentials \
		-d client_id=dive-v3-broker-deu --data-urlencode client_secret@- \
		"http://127.0.0.1:$KC/realms/dive-v3-broker-deu/protocol/openid-connect/token" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print("refused" if d.get("error") == "invalid_client" or "Invalid client credentials" in d.get("error_description", "") else "accepted" if "access_token" in d or d.get("error") else "?")'
}
old=$(vault_value deu KEYCLOAK_CLIENT_SECRET)
expect_eq "$(kc_client_secret)" "$old" "Keycloak holds the secret from Vault"
expect_eq "$(client_auth "$old")" "accepted" "the current client secret before the rotation"
expect_eq "$(client_auth "not-the-secret-$$")" "refused" "a wrong client secret"
web_before=$(docker ps -q --filter label=dive.project=dive-spoke-deu --filter label=dive.service=frontend --no-trunc)
vrun secrets rotate DEU KEYCLOAK_CLIENT_SECRET --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["applied"]')" "True"
expect_eq "$(json_get '"frontend" in d["recreated"] and "backend" in d["recreated"]')" "True"
expect_eq "$(json_get 'all(c["ok"] for c in d["checks"]) and len(d["checks"]) > 0')" "True" "verification re-ran"
new=$(vault_value deu KEYCLOAK_CLIENT_SECRET)
T_CHECKS=$((T_CHECKS + 1))
[ "$new" != "$old" ] && [ ${#new} -eq 48 ] || fail "Vault does not hold a new 48-hex-digit value"
expect_eq "$(kc_client_secret)" "$new" "Keycloak's client has the new secret"
expect_eq "$(client_auth "$old")" "refused" "the old secret after the rotation"
expect_eq "$(client_auth "$new")" "accepted" "the new secret after the rotation"
T_CHECKS=$((T_CHECKS + 1))
[ "$(docker ps -q --filter label=dive.project=dive-spoke-deu --filter label=dive.service=frontend --no-trunc)" != "$web_before" ] ||
	fail "the frontend was not recreated"
vrun secrets rotate DEU POSTGRES_PASSWORD
expect_rc 2
expect_err "data volume"

# --- rotate a federation secret: both sides --------------------------------------------------
# the deploy federated DEU (registered and, with auto approval, approved)
vrun federation status DEU --json
expect_rc 0
expect_eq "$(json_get 'd["registration"]')" "approved" "the deploy federated DEU"
fed_old=$(vault_value usa FEDERATION_USA_DEU_SECRET)
vrun secrets rotate USA FEDERATION_USA_DEU_SECRET --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["how"]')" "federation"
# the hub realm's client and DEU's usa-idp that signs in with it
expect_eq "$(json_get 'sorted(set((c["object"], c["realm"]) for c in d["changed"]))')" "[('client', 'dive-v3-broker-usa'), ('idp', 'dive-v3-broker-deu')]"
expect_eq "$(json_get 'all(c["ok"] for c in d["checks"]) and len(d["checks"]) > 0')" "True" "DEU's verification re-ran"
T_CHECKS=$((T_CHECKS + 1))
[ "$(vault_value usa FEDERATION_USA_DEU_SECRET)" != "$fed_old" ] || fail "the federation secret did not change in Vault"
vrun federation unregister DEU --yes
expect_rc 0

# --- the secret scan: outputs, the state store, the hub's MongoDB -------------------------------------
pg_dump -a "$DIVE_STATE_URL" >"$WORK/state.sql" 2>/dev/null || fail "cannot dump the state store"
docker exec dive-hub-mongodb sh -c 'cat /data/db/dive-v3.sqlite*' >"$WORK/mongo" 2>/dev/null || true
T_CHECKS=$((T_CHECKS + 1))
[ -s "$WORK/state.sql" ] && grep -qF "spoke deploy DEU" "$WORK/state.sql" || fail "the state dump holds no run of DEU"
n=0
for c in usa deu; do
	for k in $(vault_keys "$c"); do
		v=$(vault_value "$c" "$k")
		n=$((n + 1))
		T_CHECKS=$((T_CHECKS + 1))
		if grep -qF -- "$v" "$ALL"; then fail "the value of $c's $k reached an output"; fi
		if grep -qF -- "$v" "$WORK/state.sql"; then fail "the value of $c's $k reached the state store"; fi
		if grep -qaF -- "$v" "$WORK/mongo"; then fail "the value of $c's $k reached the hub's MongoDB"; fi
	done
done
for v in "$old" "$fed_old"; do
	T_CHECKS=$((T_CHECKS + 1))
	if grep -qF -- "$v" "$ALL" "$WORK/state.sql"; then fail "a rotated-out value reached an output or the state store"; fi
done
echo "scanned $n values from Vault"
T_CHECKS=$((T_CHECKS + 1))
[ "$n" -ge 16 ] || fail "only $n secrets in Vault"
T_CHECKS=$((T_CHECKS + 1))
[ -z "$(find "$DIVE_INSTANCES_DIR" -type f | head -1)" ] || fail "a secret file appeared during the test"
done_ok
