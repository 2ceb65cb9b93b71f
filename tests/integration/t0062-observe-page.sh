#!/usr/bin/env bash
# t0062: the reconciliation page of dive serve in a real browser (Debian's
# chromium driven by playwright-core, tests/monitoring/page_test.js): with
# the hub and DEU deployed (kept when t0040 left them up with this tree's
# secrets), an orphan IdP made by hand in the hub's Keycloak shows as a drift
# row; the dry run shows the plan; unauthenticated and CSRF-less POSTs are
# 403 and change nothing (the IdP is still there, enabled); signed in, apply
# and prune clear the row live.  Then the page renders 38 instances (a state
# store of the test's own with a row per country).  Screenshots go to
# $DIVE_SCREENSHOTS (default: the build directory).
#
# Deploys stacks: run it under the stack lock (flock /work/.stack.lock ...).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_serve.sh"
new_state_db t0062
export DIVE_INSTANCES_DIR=${DIVE_INSTANCES_DIR:-$DIVE_SOURCE_DIR/instances}
export MONGOC_DISABLE_SHM=1
unset DIVE_FEDERATION_STORE_URL DIVE_RETRY
: "${DIVE_PLAYWRIGHT_MODULES:?run tests/env/up (playwright-core)}"
TMP=$(mktemp -d)
SHOTS=${DIVE_SCREENSHOTS:-$PWD}
HAND=nzl
FLEET_DB=
cleanup() {
	serve_stop
	kc_admin USA DELETE "/realms/dive-v3-broker-usa/identity-provider/instances/$HAND-idp" >/dev/null 2>&1
	[ -n "$FLEET_DB" ] && psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $FLEET_DB WITH (FORCE)" >/dev/null 2>&1
	rm -rf "$TMP" "$T_OUT" "$T_ERR"
	psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT
T_CHECKS=$((T_CHECKS + 1))
[ -x "${DIVE_CHROMIUM:-/usr/bin/chromium}" ] || fail "no chromium (tests/env/up installs Debian's)"

stacks_ensure

openssl rand -hex 24 >"$TMP/token"
chmod 600 "$TMP/token"
PORT=$(free_port)
SERVE_URL="http://127.0.0.1:$PORT"
serve_start "$TMP/serve.log" --listen "127.0.0.1:$PORT" --token-file "$TMP/token" --audit-interval 3s

kc_admin USA DELETE "/realms/dive-v3-broker-usa/identity-provider/instances/$HAND-idp" >/dev/null
expect_eq "$(kc_admin USA POST /realms/dive-v3-broker-usa/identity-provider/instances \
	"{\"alias\":\"$HAND-idp\",\"providerId\":\"oidc\",\"enabled\":true,\"config\":{\"clientId\":\"hand\",\"authorizationUrl\":\"http://localhost:9/auth\",\"tokenUrl\":\"http://localhost:9/token\",\"validateSignature\":\"false\"}}")" \
	"201" "the orphan IdP made by hand"

T_CHECKS=$((T_CHECKS + 1))
node "$DIVE_SOURCE_DIR/tests/monitoring/page_test.js" fleet "$SERVE_URL/" "$TMP/token" "$SHOTS" "$HAND" >"$TMP/page.out" 2>&1 ||
	{ cat "$TMP/page.out" >&2; tail -20 "$TMP/serve.log" >&2; fail "the page test"; }
cat "$TMP/page.out"
expect_eq "$(kc_admin USA GET "/realms/dive-v3-broker-usa/identity-provider/instances/$HAND-idp")" "404" "prune deleted the orphan"
expect_eq "$(grep -c 'dive serve (page): reconcile --prune: done' "$TMP/serve.log")" "1" "the prune went through the server"
expect_eq "$(cat "$TMP/serve.log" "$TMP/page.out" | grep -c "$(cat "$TMP/token")")" "0" "the token is never logged"
expect_eq "$(sql "SELECT count(*) > 0 FROM dive.audit_reports WHERE trigger = 'action' AND ok")" "t" "an audit followed the action"
serve_stop
expect_eq "$SERVE_RC" "0"

# 38 instances: a state store with one row per country (states as a fleet has them)
FLEET_DB="dive_t_t0062f_$$"
psql -qX "$T_ADMIN_URL" -c "CREATE DATABASE $FLEET_DB" >/dev/null || fail "cannot create $FLEET_DB"
FLEET_URL="${DIVE_STATE_URL%/*}/$FLEET_DB"
DIVE_STATE_URL=$FLEET_URL "$DIVE" db migrate >/dev/null 2>&1 || fail "migrate $FLEET_DB"
codes=$("$DIVE" spoke list-countries --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(c["code"] for c in d["countries"]))')
n=0
for c in $codes; do
	psql -qX "$FLEET_URL" -c "INSERT INTO dive.instances (code, state) VALUES ('$c', (ARRAY['COMPLETE','COMPLETE','COMPLETE','FAILED','STOPPED'])[1 + $n % 5])" >/dev/null
	n=$((n + 1))
done
expect_eq "$n" "38" "every country"
PORT=$(free_port)
SERVE_URL="http://127.0.0.1:$PORT"
DIVE_STATE_URL=$FLEET_URL serve_start "$TMP/serve38.log" --listen "127.0.0.1:$PORT" --audit-interval off
T_CHECKS=$((T_CHECKS + 1))
node "$DIVE_SOURCE_DIR/tests/monitoring/page_test.js" count "$SERVE_URL/" 38 >"$TMP/page38.out" 2>&1 ||
	{ cat "$TMP/page38.out" >&2; fail "the page with 38 instances"; }
cat "$TMP/page38.out"
done_ok
