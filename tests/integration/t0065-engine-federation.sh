#!/usr/bin/env bash
# t0065: a spoke on a second engine federated with the hub on the first
# (issue 18, the last part), with issue 11's verification logins across them:
#
#  - engine B up (t0085's), the hub on A published on B's side of the veth
#    too (DIVE_HUB_ADDR=10.231.0.1: Keycloak, OPAL and backend);
#  - `spoke deploy FRA --engine b --json`: succeeded, and its checks (both
#    federated logins, the policy revision, the trusted issuers, the
#    decision at FRA's OPA) all ok; FRA's containers on B and not on A;
#  - the registration, the hub's fra-idp and FRA's issuer name B's address;
#  - a client that is not dive's (oidc_login.py) signs FRA's user into the
#    hub through fra-idp: the hub's Keycloak on A talks to FRA's on B;
#  - whatever happens: FRA cleaned, its registration removed, the hub
#    published on 127.0.0.1 only again, engine B and the files removed.
#
# Deploys the hub when no earlier test left it (as t0055); numbered to run while the
# hub t0040 left is up, before t0070 removes it.  Run under the stack lock.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_engine.sh"
new_state_db t0065
export DIVE_INSTANCES_DIR=${DIVE_INSTANCES_DIR:-$DIVE_SOURCE_DIR/instances}
unset DIVE_FEDERATION_STORE_URL DIVE_RETRY DIVE_HUB_ADDR
I=$DIVE_INSTANCES_DIR
T_WORK=$(mktemp -d)
PKI="$T_WORK/instances/pki"    # the test's own PKI, not the deployment's
OIDC="/usr/bin/python3 $(dirname "$0")/oidc_login.py"
HUB_ADDR=10.231.0.1
T0=$(date +%s)

cleanup() {
	local rc=$?
	set +e
	if [ -n "${T_FRA:-}" ]; then
		"$DIVE" spoke clean FRA --yes >/dev/null 2>&1 || echo "WARNING: spoke clean FRA failed" >&2
		"$DIVE" federation unregister FRA --yes >/dev/null 2>&1
	fi
	# the hub on 127.0.0.1 only again (B's address goes with B)
	if [ -n "${T_REBOUND:-}" ]; then
		env -u DIVE_HUB_ADDR "$DIVE" hub up >/dev/null 2>&1 || echo "WARNING: hub up (restore) failed" >&2
	fi
	if [ -n "${T_ENGINE_UP:-}" ]; then "$ENGINE_B" down >/dev/null 2>&1 || echo "WARNING: engine-b down failed" >&2; fi
	rm -rf "$T_WORK" "$T_OUT" "$T_ERR"
	psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1
	echo "t0065: $(($(date +%s) - T0)) s in all"
	exit $rc
}
trap cleanup EXIT

port() { "$DIVE" spoke ports "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ports"][sys.argv[1]])' "$2"; }
step() { echo "t0065: $(($(date +%s) - T0)) s: $*"; }
HUB_KC=$(port USA keycloak_http)
FRA_KC=$(port FRA keycloak_http)
FRA_OPA=$(port FRA opal)
HUB_ISS="http://localhost:$HUB_KC/realms/dive-v3-broker-usa"
FRA_ISS="http://$ENGINE_B_ADDR:$FRA_KC/realms/dive-v3-broker-fra"

# --- bad input changes nothing: DIVE_HUB_ADDR is an address, never every interface ----------
DIVE_HUB_ADDR=0.0.0.0 run hub up
expect_rc 2
expect_err "DIVE_HUB_ADDR '0.0.0.0' is not an address of this host"

# --- engine B (its own PKI, as t0085), the hub on A reachable from it ------------------------
exec 9>"$ENGINE_B_LOCK"
flock -w 900 9 || fail "another test holds $ENGINE_B_LOCK"
DIVE_INSTANCES_DIR="$T_WORK/instances" "$DIVE" certs init >/dev/null || fail "certs init"
DIVE_INSTANCES_DIR="$T_WORK/instances" "$DIVE" certs issue engine b --san "$ENGINE_B_ADDR" >/dev/null ||
	fail "certs issue engine b"
DIVE_INSTANCES_DIR="$T_WORK/instances" "$DIVE" certs issue client dive >/dev/null || fail "certs issue client"
T_ENGINE_UP=1
"$ENGINE_B" up --ca "$PKI/engine/b/ca.pem" --cert "$PKI/engine/b/cert.pem" --key "$PKI/engine/b/key.pem" \
	>"$T_WORK/engine-b.log" 2>&1 || { cat "$T_WORK/engine-b.log" >&2; fail "engine B did not start"; }
engine_add b
expect_rc 0
step "engine B up"

export DIVE_HUB_ADDR=$HUB_ADDR
T_REBOUND=1
run hub up
expect_rc 0
step "hub up (published on $HUB_ADDR too)"
T_CHECKS=$((T_CHECKS + 1))
docker port dive-hub-keycloak 8080/tcp | grep -qx "$HUB_ADDR:$HUB_KC" || fail "the hub's Keycloak is not published on $HUB_ADDR"
T_CHECKS=$((T_CHECKS + 1))
! docker port dive-hub-keycloak 8080/tcp | grep -q '^0\.0\.0\.0' || fail "the hub's Keycloak is published on every interface"

# --- FRA on B: federated, every check ok --------------------------------------------------------
"$DIVE" federation unregister FRA --yes >/dev/null 2>&1 || true
T_FRA=1
t_fra=$(date +%s)
run spoke deploy FRA --engine b --json
step "spoke deploy FRA --engine b: $(($(date +%s) - t_fra)) s"
[ "$T_RC" = 0 ] || { cat "$T_ERR" >&2; head -c 4000 "$T_OUT" >&2; }
expect_rc 0
expect_json
expect_eq "$(json_get 'd["outcome"]')" "succeeded"
expect_eq "$(json_get '[c["check"] for c in d["checks"] if not c["ok"]]')" "[]" "every check ok"
expect_eq "$(json_get 'sum(1 for c in d["checks"] if c["check"].startswith("federated login") and c["ok"])')" "2"
expect_eq "$(json_get 'sum(1 for c in d["checks"] if c["check"].startswith(("policy revision", "trusted issuers", "policy decision")) and c["ok"])')" "3"
echo "phases: $(json_get '" ".join("%s=%.1fs" % (p["phase"], p["ms"] / 1000) for p in d["phases"])')"

# FRA's containers on B, none on A; the state row names B
T_CHECKS=$((T_CHECKS + 1))
[ "$(on_b ps -q --filter label=dive.project=dive-spoke-fra | wc -l)" -ge 5 ] || fail "FRA's containers are not on engine B"
T_CHECKS=$((T_CHECKS + 1))
[ -z "$(docker ps -aq --filter label=dive.project=dive-spoke-fra)" ] || fail "FRA has containers on engine A"
expect_eq "$(sql "SELECT engine FROM dive.instances WHERE code = 'FRA'")" "b"

# the federation objects name B's address; FRA's OPA trusts FRA's issuer there
run federation status FRA --json
expect_rc 0
expect_eq "$(json_get 'd["registration"]')" "approved"
expect_eq "$(json_get 'd["registration_document"]["idpUrl"] + " " + d["registration_document"]["idpPublicUrl"]')" \
	"http://$ENGINE_B_ADDR:$FRA_KC http://$ENGINE_B_ADDR:$FRA_KC"
T_CHECKS=$((T_CHECKS + 1))
curl -s -m 10 "http://$ENGINE_B_ADDR:$FRA_OPA/v1/data/dive/trusted_issuers" |
	python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]; sys.exit(0 if sys.argv[1] in r and sys.argv[2] in r else 1)' \
		"$FRA_ISS" "$HUB_ISS" || fail "FRA's OPA does not trust $FRA_ISS and $HUB_ISS"
T_CHECKS=$((T_CHECKS + 1))
curl -s -m 10 "http://$ENGINE_B_ADDR:$FRA_KC/realms/dive-v3-broker-fra/.well-known/openid-configuration" |
	python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["issuer"] == sys.argv[1] else 1)' "$FRA_ISS" ||
	fail "FRA's Keycloak does not name $FRA_ISS as its issuer"

# --- a client that is not dive's: FRA's user into the hub, across the engines ------------------
T_RC=0
{ cat "$I/usa/secrets/KEYCLOAK_CLIENT_SECRET"; echo; cat "$I/fra/secrets/VERIFY_USER_PASSWORD"; echo; } |
	tr -s '\n' | $OIDC "$HUB_ISS" dive-v3-broker-usa "http://localhost:$(port USA frontend)/api/auth/callback/keycloak" \
		fra-idp dive-verify-fra >"$T_OUT" 2>"$T_ERR" || T_RC=$?
[ "$T_RC" = 0 ] || cat "$T_ERR" >&2
expect_rc 0
expect_eq "$(json_get 'd["iss"]')" "$HUB_ISS"
expect_eq "$(json_get 'd["clearance"]')" "SECRET"
expect_eq "$(json_get 'd["countryOfAffiliation"]')" "FRA"
step "logins done"
done_ok
