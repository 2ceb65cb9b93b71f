#!/usr/bin/env bash
# t0055: federation for real, the way a user meets it (issue 11).
#
#  - `spoke deploy DEU` and `spoke deploy FRA` on the development hub end
#    federated with no manual approve; each deploy's checks hold both
#    federated logins, the policy revision, the trusted issuers and the
#    decision at the spoke's OPA, all ok.
#  - A standard OIDC client that is not dive's code (python3-requests +
#    PyJWT: oidc_login.py) completes the DEU -> hub login and finds DEU's
#    attributes in the hub's ID token.
#  - The hub's deu-idp client secret broken by hand: `spoke verify DEU`
#    exits 1 naming the check and the code; `federation reconcile` repairs
#    it; verify passes again.
#  - A policy changed on the hub reaches DEU's OPA (revision and decision
#    change) without a redeploy; the seed published again restores it.
#  - suspend: the DEU -> hub login fails and the public list drops DEU;
#    approve restores both; unregister removes both directions and DEU's
#    trusted issuer.
#
# Deploys the hub if it is not up (t0040 leaves it up with DEU); FRA is deployed
# and removed here, DEU is left federated.  Run under the stack lock.
. "$(dirname "$0")/lib.sh"
new_state_db t0055
export DIVE_INSTANCES_DIR=${DIVE_INSTANCES_DIR:-$DIVE_SOURCE_DIR/instances}
unset DIVE_FEDERATION_STORE_URL DIVE_RETRY
OIDC="/usr/bin/python3 $(dirname "$0")/oidc_login.py"
I=$DIVE_INSTANCES_DIR
POLICY=$(mktemp -d) KC_BODY=$(mktemp) ALL=$(mktemp)

cleanup() {
	"$DIVE" spoke clean FRA --yes >/dev/null 2>&1 || true
	"$DIVE" policy publish "$DIVE_SOURCE_DIR/policies" >/dev/null 2>&1 || true
	rm -rf "$POLICY" "$KC_BODY" "$ALL" "$T_OUT" "$T_ERR"
	psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT

frun() {
	run "$@"
	cat "$T_OUT" "$T_ERR" >>"$ALL"
}
port() { "$DIVE" spoke ports "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ports"][sys.argv[1]])' "$2"; }
HUB_KC=$(port USA keycloak_http)
DEU_KC=$(port DEU keycloak_http)
DEU_OPA=$(port DEU opal)
HUB_ISS="http://localhost:$HUB_KC/realms/dive-v3-broker-usa"
DEU_ISS="http://localhost:$DEU_KC/realms/dive-v3-broker-deu"

# the hub, deployed here when an earlier test did not leave it (idempotent when it did)
frun hub up
expect_rc 0

# the DEU user into the hub through deu-idp, by a client that is not dive's
deu_login() {
	{ cat "$I/usa/secrets/KEYCLOAK_CLIENT_SECRET"; echo; cat "$I/deu/secrets/VERIFY_USER_PASSWORD"; echo; } |
		tr -s '\n' | $OIDC "$HUB_ISS" dive-v3-broker-usa "http://localhost:$(port USA frontend)/api/auth/callback/keycloak" \
			deu-idp dive-verify-deu
}

kc_api() { # kc_api PORT CODE METHOD PATH [JSON]: status on stdout, body in $KC_BODY
	local lower tok
	lower=$(echo "$2" | tr 'A-Z' 'a-z')
	tok=$(printf %s "$(cat "$I/$lower/secrets/KEYCLOAK_ADMIN_PASSWORD")" |
		curl -sf -d grant_type=password -d client_id=admin-cli -d username=admin --data-urlencode password@- \
			"http://127.0.0.1:$1/realms/master/protocol/openid-connect/token" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])') || { echo 000; return; }
	curl -s -o "$KC_BODY" -w '%{http_code}' -X "$3" -H "Authorization: Bearer $tok" \
		-H 'Content-Type: application/json' ${5:+-d "$5"} "http://127.0.0.1:$1/admin$4"
}

opa_decision() { # opa_decision CLEARANCE: "true"/"false" from DEU's OPA
	curl -s -m 10 -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$DEU_OPA/v1/data/dive/authz/decision" \
		-d "{\"input\":{\"subject\":{\"issuer\":\"$HUB_ISS\",\"clearance\":\"$1\",\"countryOfAffiliation\":\"DEU\"},\"action\":\"read\",\"resource\":{\"classification\":\"SECRET\",\"releasabilityTo\":[\"DEU\",\"USA\"]}}}" |
		python3 -c 'import json,sys; print(str(json.load(sys.stdin)["result"]["allow"]).lower())'
}
opa_revision() {
	curl -s -m 10 "http://127.0.0.1:$DEU_OPA/v1/data/dive/policy_revision" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["revision"])'
}
opa_trusts() { # opa_trusts ISSUER: True/False
	curl -s -m 10 "http://127.0.0.1:$DEU_OPA/v1/data/dive/trusted_issuers" |
		python3 -c 'import json,sys; print(sys.argv[1] in json.load(sys.stdin)["result"])' "$1"
}

# checks of one deploy: both logins, the policy revision, the issuers, the decision, all ok
expect_federated_checks() {
	expect_json
	expect_eq "$(json_get 'd["outcome"]')" "succeeded"
	expect_eq "$(json_get 'all(c["ok"] for c in d["checks"])')" "True" "every check ok"
	expect_eq "$(json_get 'sum(1 for c in d["checks"] if c["check"].startswith("federated login") and c["ok"])')" "2"
	expect_eq "$(json_get 'sum(1 for c in d["checks"] if c["check"].startswith(("policy revision", "trusted issuers", "policy decision")) and c["ok"])')" "3"
	echo "phases $1: $(json_get '" ".join("%s=%.1fs" % (p["phase"], p["ms"] / 1000) for p in d["phases"])')"
}

# --- deploy federates, verification proves it -------------------------------------------
"$DIVE" federation unregister FRA --yes >/dev/null 2>&1 || true
frun spoke deploy DEU --json
expect_rc 0
expect_federated_checks DEU
frun federation status DEU --json
expect_eq "$(json_get 'd["registration"]')" "approved"
expect_eq "$(json_get 'd["policy"]["approval"]')" "auto"
frun spoke deploy FRA --json
expect_rc 0
expect_federated_checks FRA
expect_eq "$(json_get '[c["detail"] for c in d["checks"] if c["check"].startswith("trusted issuers")][0].startswith("3 trusted issuers")')" "True" "hub, DEU and FRA trusted"

# --- a client that is not dive's ----------------------------------------------------------
T_RC=0
deu_login >"$T_OUT" 2>"$T_ERR" || T_RC=$?
expect_rc 0
expect_eq "$(json_get 'd["iss"]')" "$HUB_ISS"
expect_eq "$(json_get 'd["clearance"]')" "SECRET"
expect_eq "$(json_get 'd["countryOfAffiliation"]')" "DEU"

# --- a broken client secret: verify names it, reconcile repairs it ---------------------------
expect_eq "$(kc_api "$HUB_KC" USA GET /realms/dive-v3-broker-usa/identity-provider/instances/deu-idp)" "200"
python3 - "$KC_BODY" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["config"]["clientSecret"] = "broken-by-hand"; json.dump(d, open(sys.argv[1], "w"))
PY
expect_eq "$(kc_api "$HUB_KC" USA PUT /realms/dive-v3-broker-usa/identity-provider/instances/deu-idp "$(cat "$KC_BODY")")" "204"
frun spoke verify DEU
expect_rc 1
expect_err "federated login DEU -> USA through deu-idp failed"
expect_err "error 1403 AUTH_FLOW"
frun federation reconcile --json
expect_rc 0
expect_eq "$(json_get 'any(s["op"] == "reset-secret" and s["name"] == "deu-idp" for s in d["steps"])')" "True"
expect_eq "$(json_get 'd["remaining"]')" "0"
frun spoke verify DEU
expect_rc 0
frun federation reconcile --json
expect_rc 0
expect_eq "$(json_get 'd["planned"]')" "0" "a second reconcile plans nothing"

# --- a policy changed on the hub reaches DEU's OPA without a redeploy ------------------------
rev_before=$(opa_revision)
expect_eq "$(opa_decision SECRET)" "true"
cp -r "$DIVE_SOURCE_DIR/policies/." "$POLICY/"
cat >>"$POLICY/dive/authz.rego" <<'REGO'

# t0055: an embargo the hub decided on
reasons contains "embargoed by the hub" if input.subject.countryOfAffiliation == "DEU"
REGO
containers_before=$(docker ps -q --filter label=dive.project=dive-spoke-deu --no-trunc | sort | tr '\n' ' ')
frun policy publish "$POLICY" --json
expect_rc 0
new_rev=$(json_get 'd["revision"]')
for _ in $(seq 100); do [ "$(opa_revision)" = "$new_rev" ] && break; sleep 0.2; done
expect_eq "$(opa_revision)" "$new_rev" "DEU's OPA holds the new revision"
[ "$new_rev" != "$rev_before" ] || fail "the revision did not change"
expect_eq "$(opa_decision SECRET)" "false" "the decision changed"
expect_eq "$(docker ps -q --filter label=dive.project=dive-spoke-deu --no-trunc | sort | tr '\n' ' ')" "$containers_before" "nothing was redeployed"
frun policy status --json
expect_rc 0
expect_eq "$(json_get 'd["current"]')" "True" "every spoke holds the embargo revision"
expect_eq "$(json_get '[s["decision_ok"] for s in d["spokes"] if s["code"] == "DEU"]')" "[False]" "the embargo is reported in DEU's sample decision"
frun policy publish "$DIVE_SOURCE_DIR/policies"
expect_rc 0
for _ in $(seq 100); do [ "$(opa_decision SECRET)" = "true" ] && break; sleep 0.2; done
expect_eq "$(opa_decision SECRET)" "true" "the seed restored"

# --- suspend, approve, unregister -----------------------------------------------------------------
frun federation suspend DEU --reason "t0055"
expect_rc 0
T_RC=0
deu_login >"$T_OUT" 2>"$T_ERR" || T_RC=$?
expect_rc 1
frun federation idps --public --json
expect_eq "$(json_get '"deu-idp" in [i["alias"] for i in d["idps"]]')" "False" "suspended: not public"
for _ in $(seq 100); do [ "$(opa_trusts "$DEU_ISS")" = "False" ] && break; sleep 0.2; done
expect_eq "$(opa_trusts "$DEU_ISS")" "False" "suspended: DEU's issuer no longer trusted"
frun federation approve DEU
expect_rc 0
T_RC=0
deu_login >"$T_OUT" 2>"$T_ERR" || T_RC=$?
expect_rc 0
frun federation idps --public --json
expect_eq "$(json_get '"deu-idp" in [i["alias"] for i in d["idps"]]')" "True" "approved: public again"
frun federation unregister DEU --yes
expect_rc 0
expect_eq "$(kc_api "$HUB_KC" USA GET /realms/dive-v3-broker-usa/identity-provider/instances/deu-idp)" "404" "hub IdP gone"
expect_eq "$(kc_api "$DEU_KC" DEU GET /realms/dive-v3-broker-deu/identity-provider/instances/usa-idp)" "404" "spoke IdP gone"
kc_api "$HUB_KC" USA GET "/realms/dive-v3-broker-usa/clients?clientId=dive-v3-broker-deu" >/dev/null
expect_eq "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$KC_BODY")" "0" "hub client gone"
for _ in $(seq 100); do [ "$(opa_trusts "$DEU_ISS")" = "False" ] && break; sleep 0.2; done
expect_eq "$(opa_trusts "$DEU_ISS")" "False" "unregistered: trusted issuer gone"
T_RC=0
deu_login >"$T_OUT" 2>"$T_ERR" || T_RC=$?
expect_rc 1

# DEU back as t0040 left it: federated again by its deploy
frun spoke deploy DEU --json
expect_rc 0
expect_federated_checks DEU

# no secret in anything dive printed
for f in "$I"/deu/secrets/* "$I"/usa/secrets/*; do
	v=$(cat "$f")
	T_CHECKS=$((T_CHECKS + 1))
	if grep -qF -- "$v" "$ALL"; then fail "the value of $(basename "$f") reached the output"; fi
done
done_ok
