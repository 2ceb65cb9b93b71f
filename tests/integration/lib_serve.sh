# lib_serve.sh - for the scenarios of `dive serve` (t0060-t0062), sourced
# after lib.sh: start and stop a server of the test's own, free ports,
# Prometheus targets of the test's own.

# free_port: a TCP port nobody listens on right now (127.0.0.1).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# serve_start LOG ARGS...: dive serve ARGS in the background; waits (bounded)
# for /healthz on the --listen address (SERVE_URL); sets SERVE_PID.
serve_start() {
	local log=$1 i
	shift
	"$DIVE" serve "$@" >"$log" 2>&1 &
	SERVE_PID=$!
	for i in $(seq 100); do
		curl -sf -m 2 -o /dev/null "$SERVE_URL/healthz" 2>/dev/null && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || { cat "$log" >&2; fail "dive serve exited at start"; }
		sleep 0.1
	done
	cat "$log" >&2
	fail "dive serve did not answer /healthz in 10s"
}

# serve_stop: SIGTERM, then wait (bounded); the exit code lands in SERVE_RC.
serve_stop() {
	local i
	SERVE_RC=
	[ -n "${SERVE_PID:-}" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null || true
	for i in $(seq 100); do
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$SERVE_PID" 2>/dev/null; then
		kill -KILL "$SERVE_PID" 2>/dev/null || true
		SERVE_RC=killed
	else
		wait "$SERVE_PID" 2>/dev/null && SERVE_RC=0 || SERVE_RC=$?
	fi
	SERVE_PID=
}

# prom_target NAME ADDR: let the test env's Prometheus scrape ADDR with the
# label dive_test=NAME (file_sd); prom_untarget NAME removes it.
prom_target() {
	local dir=${DIVE_PROMETHEUS_TARGETS:?run tests/env/up}
	printf '[{"targets":["%s"],"labels":{"dive_test":"%s"}}]\n' "$2" "$1" >"$dir/.$1.tmp"
	mv -f "$dir/.$1.tmp" "$dir/$1.json"
}
prom_untarget() { rm -f "${DIVE_PROMETHEUS_TARGETS:-/nonexistent}/$1.json"; }

# promq EXPR: the instant query's result as JSON (a list).
promq() {
	curl -sf -m 10 --get --data-urlencode "query=$1" "$DIVE_PROMETHEUS_URL/api/v1/query" |
		python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["data"]["result"]))'
}

kc_port() { "$DIVE" spoke ports "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ports"]["keycloak_http"])'; }
# kc_admin CODE METHOD PATH [JSON]: an admin call with this tree's secret; prints the status.
kc_admin() {
	python3 - "$(kc_port "$1")" "$DIVE_INSTANCES_DIR/$(echo "$1" | tr A-Z a-z)/secrets/KEYCLOAK_ADMIN_PASSWORD" "$2" "$3" "${4:-}" <<'EOF'
import json, sys, urllib.parse, urllib.request, urllib.error
port, pwfile, method, path, body = sys.argv[1:6]
base = "http://127.0.0.1:%s" % port
try:
    pw = open(pwfile).read().strip()
    form = urllib.parse.urlencode({"grant_type": "password", "client_id": "admin-cli", "username": "admin",
                                   "password": pw}).encode()
    tok = json.load(urllib.request.urlopen(base + "/realms/master/protocol/openid-connect/token", form, timeout=20))
    req = urllib.request.Request(base + "/admin" + path, data=body.encode() if body else None, method=method,
                                 headers={"Authorization": "Bearer " + tok["access_token"],
                                          "Content-Type": "application/json"})
    print(urllib.request.urlopen(req, timeout=20).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")
EOF
}

# stacks_usable: the hub and DEU run, and answer with this tree's admin secrets.
stacks_usable() {
	"$DIVE" hub status >/dev/null 2>&1 && "$DIVE" spoke status DEU >/dev/null 2>&1 &&
		[ "$(kc_admin USA GET /realms/master)" = 200 ] && [ "$(kc_admin DEU GET /realms/master)" = 200 ]
}
# stacks_ensure: hub up and spoke deploy DEU in the test's state store
# (runs, steps, transitions, readiness samples of its own).  Stacks that
# already run with this tree's secrets are kept (unchanged containers are
# not recreated); others go first, with the hub's volumes, as t0040 starts.
# Run under the stack lock.
stacks_ensure() {
	if ! stacks_usable; then
		echo "the hub and DEU are not running with this tree's secrets: deploying them from nothing"
		"$DIVE" hub down --yes >/dev/null 2>&1 || true
		"$DIVE" spoke clean DEU --yes >/dev/null 2>&1 || true
		docker volume ls -q --filter label=dive.project=dive-hub | xargs -r docker volume rm >/dev/null 2>&1 || true
		run images build
		expect_rc 0
	fi
	run hub up
	expect_rc 0
	run spoke deploy DEU
	expect_rc 0
	stacks_usable || fail "the hub and DEU do not answer after their deploys"
}
