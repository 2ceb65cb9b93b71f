#!/usr/bin/env bash
# t0030: `dive graph` through the real binary: the hub and spoke stack files,
# any compose file, cycles and bad codes exit 2, and nothing is created.
# ctest: beside-stacks (no shared engine object; runs beside the engine chain, tests/CMakeLists.txt)
. "$(dirname "$0")/lib.sh"

SRC=${DIVE_SOURCE_DIR:?DIVE_SOURCE_DIR must name the source tree}
FIX="$SRC/tests/fixtures/compose"

# expect_py EXPR: a Python expression over the JSON document `d` on stdout is true.
expect_py() {
	T_CHECKS=$((T_CHECKS + 1))
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$T_OUT" "$1" || fail "JSON check failed: $1"
}

# No secret is needed to draw a graph: make sure none is set.
unset POSTGRES_PASSWORD MONGO_PASSWORD REDIS_PASSWORD REDIS_BLACKLIST_PASSWORD KEYCLOAK_ADMIN_PASSWORD \
	KEYCLOAK_CLIENT_SECRET AUTH_SECRET OPAL_AUTH_MASTER_TOKEN FEDERATION_ADMIN_KEY SPOKE_OPAL_TOKEN DIVE_STACKS_DIR
# Nothing may reach an engine: point at one that does not exist.
export DOCKER_HOST=unix:///nonexistent/docker.sock

# The spoke: 9 services with the runtime edges of the predecessor (§7.2).
run graph spoke DEU --json
expect_rc 0
expect_json
expect_py 'd["project"] == "dive-spoke-deu" and len(d["services"]) == 9 and d["placeholders"] is True'
expect_py 'sorted(s["name"] for s in d["services"]) == sorted(["postgres", "mongodb", "redis", "keycloak", "opa", "opal-client", "backend", "kas", "frontend"])'
expect_py 'all(s["container_name"] == "dive-spoke-deu-" + s["name"] for s in d["services"])'
expect_py '{(s["name"], e["service"], e["condition"]) for s in d["services"] for e in s["depends_on"]} == {
	("keycloak", "postgres", "service_healthy"),
	("backend", "postgres", "service_healthy"), ("backend", "mongodb", "service_healthy"),
	("backend", "redis", "service_healthy"), ("backend", "keycloak", "service_healthy"),
	("backend", "opal-client", "service_healthy"), ("backend", "opa", "service_started"),
	("kas", "opal-client", "service_healthy"), ("kas", "mongodb", "service_healthy"),
	("frontend", "keycloak", "service_healthy"), ("frontend", "backend", "service_healthy")}'
expect_py 'd["levels"] == [["postgres", "mongodb", "redis", "opa", "opal-client"], ["keycloak", "kas"], ["backend"], ["frontend"]]'
expect_py 'all(d["order"].index(e["service"]) < d["order"].index(s["name"]) for s in d["services"] for e in s["depends_on"])'
expect_py '[s for s in d["services"] if s["name"] == "keycloak"][0]["timeout"] == {"ms": 240000, "source": "x-dive", "min_ms": 180000, "max_ms": 300000}'
expect_py 'all(s["healthcheck"]["kind"] == "cmd" and s["healthcheck"]["test"] == "/dive/health" for s in d["services"])'

# The hub: 10 services (authzforce only with its profile), 4 levels.
run graph hub --json
expect_rc 0
expect_json
expect_py 'd["project"] == "dive-hub" and len(d["services"]) == 10 and d["inactive"] == 1'
expect_py 'all(s["container_name"] == "dive-hub-" + s["name"] for s in d["services"])'
expect_py 'd["levels"][3] == ["frontend", "opal-server"] and len(d["levels"]) == 4'

run graph spoke deu
expect_rc 0
expect_out "dive-spoke-deu: 9 services, 4 levels"
expect_out "3      frontend          cmd        1m (x-dive)       keycloak (healthy), backend (healthy)"
expect_out "start order: postgres"

run graph spoke DEU --mermaid
expect_rc 0
expect_out "flowchart LR"
expect_out "  postgres -->|healthy| keycloak"
expect_out "  opa -->|started| backend"

run graph hub --dot
expect_rc 0
expect_out 'digraph "dive-hub" {'
expect_out '  "backend" -> "opal-server" [label="started"];'

# A cycle: exit 2, the whole path on one line, nothing on stdout, nothing created.
WORK=$(mktemp -d)
trap 'rm -f "$T_OUT" "$T_ERR"; rm -rf "$WORK"' EXIT
cp "$FIX/cycle.yml" "$WORK/stack.yml"
(cd "$WORK" && "$DIVE" graph --file stack.yml >"$T_OUT" 2>"$T_ERR") && T_RC=0 || T_RC=$?
expect_rc 2
expect_err "dive: stack.yml:16: dependency cycle: a -> b -> c -> a"
expect_no_out
T_CHECKS=$((T_CHECKS + 1))
[ "$(ls -A "$WORK")" = "stack.yml" ] || fail "dive graph created files: $(ls -A "$WORK")"
T_CHECKS=$((T_CHECKS + 1))
[ "$(wc -l <"$T_ERR")" -eq 1 ] || fail "more than one line on stderr"

run --json graph --file "$FIX/cycle.yml"
expect_rc 2
expect_json
expect_py 'd["ok"] is False and d["exit"] == 2 and d["error"]["code"] == 1109'
expect_py '"a -> b -> c -> a" in d["error"]["message"]'

run graph --file "$FIX/undefined-dependency.yml"
expect_rc 2
expect_err "undefined-dependency.yml:10: service 'backend' depends on 'keycloack', which is not defined"

run graph --file "$FIX/unknown-key.yml" --json
expect_rc 2
expect_py 'd["error"]["code"] == 1105 and "unknown-key.yml:9: unknown key '"'"'healtcheck'"'"'" in d["error"]["message"]'

run graph --file "$FIX/bad-yaml.yml"
expect_rc 2
expect_err "bad-yaml.yml:7: invalid YAML"

run graph --file /nonexistent/stack.yml
expect_rc 2
expect_err "cannot read stack file '/nonexistent/stack.yml'"

# Bad codes and bad arguments: exit 2, the usage line, nothing else.
run graph spoke XYZ
expect_rc 2
expect_err "dive: unknown country code 'XYZ'"
expect_no_out

run graph spoke USA
expect_rc 2
expect_err "'USA' is the hub"

run graph spoke
expect_rc 2
expect_err "needs a country code"

run graph
expect_rc 2
expect_err "needs a stack: hub, spoke CODE or --file PATH"

run graph moon
expect_rc 2
expect_err "'moon' is not a stack"

run graph hub --mermaid --dot
expect_rc 2
expect_err "exclude each other"

run graph hub --file "$FIX/cycle.yml"
expect_rc 2
expect_err "not both"

# Graph-only reading never needs secrets, and never prints them when they are set.
POSTGRES_PASSWORD=pw-very-secret REDIS_PASSWORD=pw-very-secret "$DIVE" graph spoke POL --json >"$T_OUT" 2>"$T_ERR" &&
	T_RC=0 || T_RC=$?
expect_rc 0
T_CHECKS=$((T_CHECKS + 1))
! grep -q "pw-very-secret" "$T_OUT" "$T_ERR" || fail "a secret value was printed"

# DIVE_STACKS_DIR picks other stack files: a spoke file with a cycle added is refused.
mkdir "$WORK/stacks"
sed 's/^  postgres:$/  postgres:\n    depends_on: [frontend]/' "$SRC/docker-compose.spoke.yml" >"$WORK/stacks/docker-compose.spoke.yml"
DIVE_STACKS_DIR="$WORK/stacks" "$DIVE" graph spoke DEU >"$T_OUT" 2>"$T_ERR" && T_RC=0 || T_RC=$?
expect_rc 2
expect_err "dependency cycle: postgres -> frontend -> keycloak -> postgres"

done_ok
