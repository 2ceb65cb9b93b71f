#!/usr/bin/env bash
# t0180: the instance file instances/<code>/instance.yml (issue 21), no stack needed.
#
#  - spoke init writes it (0644, the keys given active, every other one
#    commented with its default, no secret), refuses to overwrite without
#    --force, and refuses a bad key or value before writing anything;
#  - spoke config [--json] reports each value and its source: default,
#    file:line, env (DIVE_HUB_URL, DIVE_SECRETS), flag (--hub-url, --engine);
#  - a file with an unknown key, a wrong type, a secret (a key, a value, an
#    environment override), a bad engine name, an unknown service: exit 2
#    with FILE:LINE from spoke config and from spoke deploy/up/verify,
#    before the state store or the engine is contacted, nothing written;
#  - spoke config --check lists every bad file and exits 2.
# ctest: beside-stacks (no shared engine object; runs beside the engine chain, tests/CMakeLists.txt)
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
rec_pid=
cleanup() {
	[ -n "$rec_pid" ] && kill "$rec_pid" 2>/dev/null
	rm -rf "$work" "$T_OUT" "$T_ERR"
}
trap cleanup EXIT

# a state store and an engine that only record being contacted (as t0011)
python3 - "$work" >"$work/port" 2>"$work/recorder.err" <<'PY' &
import os, select, socket, sys
work = sys.argv[1]
eng = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
eng.bind(os.path.join(work, "docker.sock")); eng.listen(16)
pg = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
pg.bind(("127.0.0.1", 0)); pg.listen(16)
print(pg.getsockname()[1], flush=True)
names = {eng: "docker engine", pg: "state store"}
while True:
    for s in select.select([eng, pg], [], [])[0]:
        c, _ = s.accept()
        open(os.path.join(work, "touched"), "a").write(names[s] + "\n")
        c.close()
PY
rec_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && [ -S "$work/docker.sock" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "the recorder did not start: $(cat "$work/recorder.err")" >&2; exit 1; }
unset DIVE_STATE_URL DIVE_SECRETS DIVE_HUB_URL DIVE_RETRY DIVE_BREAKER
export DOCKER_HOST="unix://$work/docker.sock"
export DIVE_INSTANCES_DIR="$work/instances"
store="postgresql://dive:pw@127.0.0.1:$(cat "$work/port")/dive_state"
f="$work/instances/fra/instance.yml"

expect_py() {
	T_CHECKS=$((T_CHECKS + 1))
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$T_OUT" "$1" || fail "JSON check failed: $1"
}

# --- spoke init ------------------------------------------------------------------
run spoke config FRA --json
expect_rc 0
expect_py 'not d["present"] and all(v["source"] == "default" for v in d["settings"].values())'
expect_py 'd["settings"]["display_name"]["value"] == "France" and d["settings"]["engine"]["value"] == "local"'

run spoke init FRA nosuch=1
expect_rc 2
expect_err "'nosuch' is not a key of the instance file"
T_CHECKS=$((T_CHECKS + 1)); [ ! -e "$work/instances" ] || fail "a refused init wrote $(find "$work/instances")"
run spoke init FRA 'hub_url=http://admin:Hunter2pw@hub.example:4000'
expect_rc 2
expect_err "looks like a secret"
T_CHECKS=$((T_CHECKS + 1)); ! grep -q Hunter2pw "$T_ERR" "$T_OUT" || fail "the secret was repeated"
T_CHECKS=$((T_CHECKS + 1)); [ ! -e "$work/instances" ] || fail "a refused init wrote $(find "$work/instances")"

run spoke init FRA --hub-url http://hub.example:4000 display_name=Paris federation.trust_level=partner \
	federation.requested_scopes=policy:base,policy:fra,data:federation_matrix
expect_rc 0
expect_out "wrote $f"
expect_eq "$(stat -c %a "$f")" "644" "mode of the instance file"
T_CHECKS=$((T_CHECKS + 1)); grep -qx "display_name: 'Paris'" "$f" || fail "display_name not written: $(cat "$f")"
T_CHECKS=$((T_CHECKS + 1)); grep -qx "#engine: 'local'" "$f" || fail "the default engine not commented: $(cat "$f")"
T_CHECKS=$((T_CHECKS + 1)); ! grep -qiE 'password|token' "$f" || fail "the file names a secret"
before=$(sha256sum "$f")
run spoke init FRA display_name=Lyon
expect_rc 2
expect_err "exists: --force replaces it"
expect_eq "$(sha256sum "$f")" "$before" "a refused init changed the file"

# --- spoke config: each value and where it came from --------------------------------
run --json spoke config FRA
expect_rc 0
expect_py 'd["present"] and len(d["hash"]) == 64'
line=$(grep -n "^display_name:" "$f" | cut -d: -f1)
expect_py "d['settings']['display_name'] == {'value': 'Paris', 'source': 'file', 'from': '$f:$line', 'line': $line}"
expect_py 'd["settings"]["federation.requested_scopes"]["value"] == ["policy:base", "policy:fra", "data:federation_matrix"]'
expect_py 'd["settings"]["federation.trust_level"]["value"] == "partner"'
expect_py 'd["settings"]["federation.max_classification"]["source"] == "default"'
expect_py 'd["settings"]["hub_url"]["value"] == "http://hub.example:4000" and d["settings"]["hub_url"]["source"] == "file"'
hash_file=$(json_get 'd["hash"]')
DIVE_HUB_URL=http://env-hub:4000 run --json spoke config FRA
expect_py 'd["settings"]["hub_url"] == {"value": "http://env-hub:4000", "source": "env", "from": "env DIVE_HUB_URL"}'
T_CHECKS=$((T_CHECKS + 1)); [ "$(json_get 'd["hash"]')" != "$hash_file" ] || fail "the hash ignores the environment"
DIVE_HUB_URL=http://env-hub:4000 run --json spoke config FRA --hub-url http://flag-hub:4000 --engine b
expect_py 'd["settings"]["hub_url"] == {"value": "http://flag-hub:4000", "source": "flag", "from": "flag --hub-url"}'
expect_py 'd["settings"]["engine"]["value"] == "b" and d["settings"]["engine"]["source"] == "flag"'
DIVE_SECRETS=env run --json spoke config FRA
expect_py 'd["settings"]["secrets.provider"] == {"value": "env", "source": "env", "from": "env DIVE_SECRETS"}'
run spoke config FRA
expect_rc 0
expect_out "display_name                   Paris"
expect_out "$f:$line"

cat >>"$f" <<'YML'
services:
  keycloak:
    memory: 2g
    timeout: 300s
    environment:
      KC_LOG_LEVEL: debug
YML
run --json spoke config FRA
expect_rc 0
expect_py 'd["services"][0]["service"] == "keycloak" and d["services"][0]["memory"] == 2 * 1024**3'
expect_py 'd["services"][0]["environment"] == {"KC_LOG_LEVEL": "debug"} and d["services"][0]["timeout_ms"] == 300000'
T_CHECKS=$((T_CHECKS + 1)); [ "$(json_get 'd["hash"]')" != "$hash_file" ] || fail "the hash ignores the services"

# --- bad files: exit 2 with FILE:LINE, before any side effect -------------------------
good=$(cat "$f")
# badfile LINE MESSAGE YAML: every spoke verb that reads the file refuses it the same way
badfile() {
	local line=$1 msg=$2 verb
	printf '%s\n' "$3" >"$f"
	local snap
	snap=$(cd "$work/instances" && find . -printf '%p %s %m\n' | sort)
	for verb in "spoke config FRA" "spoke deploy FRA" "spoke up FRA" "spoke verify FRA" "--dry-run spoke deploy FRA"; do
		read -ra a <<<"$verb"
		rm -f "$work/touched"
		run --state-url "$store" "${a[@]}"
		expect_rc 2
		expect_err "dive: $f:$line: "
		expect_err "$msg"
		T_CHECKS=$((T_CHECKS + 1)); [ ! -s "$work/touched" ] || fail "[$verb] $(sort -u "$work/touched" | paste -sd,) contacted before the file was checked"
		T_CHECKS=$((T_CHECKS + 1)); [ "$(cd "$work/instances" && find . -printf '%p %s %m\n' | sort)" = "$snap" ] || fail "[$verb] the instances directory changed"
		T_CHECKS=$((T_CHECKS + 1)); ! grep -q 'Hunter2pw' "$T_ERR" "$T_OUT" || fail "[$verb] a secret value was repeated"
	done
}
badfile 2 "unknown key 'hub_ulr'" $'display_name: Paris\nhub_ulr: http://hub:4000'
badfile 3 "unknown key 'federation.trust'" $'display_name: Paris\nfederation:\n  trust: partner'
badfile 1 "display_name must be a single value, not a list" 'display_name: [Paris, Lyon]'
badfile 2 "federation.max_classification is one of UNCLASSIFIED" $'federation:\n  max_classification: COSMIC'
badfile 4 "services.keycloak.memory must be a size" $'services:\n  keycloak:\n    timeout: 90s\n    memory: lots'
badfile 1 "'keycloak_admin_password' names a secret" 'keycloak_admin_password: Hunter2pw'
badfile 1 "hub_url looks like a secret (a URL with a password)" 'hub_url: http://admin:Hunter2pw@hub:4000'
badfile 4 "'KEYCLOAK_CLIENT_SECRET' is a secret" $'services:\n  backend:\n    environment:\n      KEYCLOAK_CLIENT_SECRET: Hunter2pw'
badfile 2 "'Bad_Engine' is not an engine name" $'display_name: Paris\nengine: Bad_Engine'
badfile 2 "unknown secrets provider 'gcp'" $'secrets:\n  provider: gcp'
badfile 2 "the spoke stack has no service 'nginx'" $'services:\n  nginx:\n    memory: 1g'

# --check: every file, all errors listed
printf '%s\n' "$good" >"$f"
mkdir -p "$work/instances/deu" "$work/instances/pol"
printf 'engine: B\n' >"$work/instances/deu/instance.yml"
printf 'display_name: Polska\ncolour: red\n' >"$work/instances/pol/instance.yml"
run spoke config --check
expect_rc 2
expect_err "$work/instances/deu/instance.yml:1: engine: 'B' is not an engine name"
expect_err "$work/instances/pol/instance.yml:2: unknown key 'colour'"
expect_err "3 instance files checked, 2 bad"
expect_out "ok $f"
rm -rf "$work/instances/deu" "$work/instances/pol"
run spoke config --check
expect_rc 0

done_ok
