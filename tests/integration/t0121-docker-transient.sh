#!/usr/bin/env bash
# t0121: the pipeline's Docker calls are guarded (issue 12).  dive talks to
# the real engine through docker_proxy.py, which injects what an engine
# shows when it restarts or is overloaded:
#   - connections reset without an answer, then the socket gone for 1 s
#     (a dockerd restart) while NLD's services start: the deploy retries
#     and succeeds, no step failed, every fault was consumed;
#   - an engine that answers 500 to everything: the breaker docker:local
#     opens (visible in 'dive breaker list'), and the next command fails
#     fast with exit 7 without reaching the engine at all;
#   - the faults gone and the breaker closed: 'spoke up NLD' converges.
# Needs the stack lock (it deploys the hub, idempotently, and NLD).
. "$(dirname "$0")/lib.sh"
new_state_db t0121
export DIVE_INSTANCES_DIR=${DIVE_INSTANCES_DIR:-$DIVE_SOURCE_DIR/instances}
unset DIVE_RETRY DIVE_BREAKER
work=$(mktemp -d)
faults=$work/faults
: >"$faults"
upstream=${DOCKER_HOST:-unix:///var/run/docker.sock}
upstream=${upstream#unix://}
python3 "$(dirname "$0")/docker_proxy.py" "$work/docker.sock" "$upstream" "$faults" &
proxy=$!
cleanup() {
	kill "$proxy" 2>/dev/null || true
	"$DIVE" spoke clean NLD --yes >/dev/null 2>&1 || true
	"$DIVE" federation unregister NLD --yes >/dev/null 2>&1 || true
	rm -rf "$work" "$T_OUT" "$T_ERR"
	psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT
for _ in $(seq 50); do [ -S "$work/docker.sock" ] && break; sleep 0.1; done
[ -S "$work/docker.sock" ] || fail "the proxy did not start"

injected() { grep -c "^$1" "$faults.log" 2>/dev/null || true; }
started() { sql "SELECT count(*) FROM dive.steps s JOIN dive.runs r ON r.id = s.run_id WHERE r.code = 'NLD' AND s.action = 'start' AND s.status = 'done'"; }

"$DIVE" spoke clean NLD --yes >/dev/null 2>&1 || true
run hub up
expect_rc 0
export DOCKER_HOST="unix://$work/docker.sock"

# 1. resets and a restart while the services start: retried, the deploy succeeds
"$DIVE" spoke deploy NLD --json >"$work/deploy.out" 2>"$work/deploy.err" &
deploy=$!
for _ in $(seq 900); do
	[ "$(started)" -ge 1 ] && break
	kill -0 "$deploy" 2>/dev/null || break
	sleep 0.2
done
[ "$(started)" -ge 1 ] || fail "NLD's deployment did not begin: $(tail -c 600 "$work/deploy.err")"
echo "reset 4" >"$faults"
for _ in $(seq 100); do [ ! -s "$faults" ] && break; sleep 0.1; done
echo "down 1" >"$faults"
T_RC=0
wait "$deploy" || T_RC=$?
cp "$work/deploy.out" "$T_OUT"
cp "$work/deploy.err" "$T_ERR"
expect_rc 0
expect_json
expect_eq "$(json_get 'd["outcome"]')" succeeded
expect_eq "$(injected reset)" 4 "every reset was made"
expect_eq "$(injected down)" 1 "the restart was made"
expect_eq "$(sql "SELECT count(*) FROM dive.steps s JOIN dive.runs r ON r.id = s.run_id WHERE r.code = 'NLD' AND s.status = 'failed'")" 0 \
	"a step failed on a transient fault"

# 2. an engine that answers 500: the breaker opens, then the command fails fast
echo 500 >"$faults"
opened=""
for i in 1 2 3; do
	run spoke up NLD
	[ "$T_RC" -eq 0 ] && fail "spoke up succeeded against an engine answering 500"
	if [ "$T_RC" -eq 7 ] && grep -q "CIRCUIT_OPEN" "$T_ERR"; then opened=$i; break; fi
done
[ -n "$opened" ] || fail "the breaker docker:local never opened"
run breaker list --json
expect_rc 0
expect_eq "$(json_get '[b["state"] for b in d["breakers"] if b["name"] == "docker:local"]')" "['open']"
before=$(injected 500)
run spoke up NLD
expect_rc 7
expect_err "CIRCUIT_OPEN"
expect_eq "$(injected 500)" "$before" "an open breaker let a call reach the engine"

# 3. the engine is well again: the operator closes the breaker, spoke up converges
: >"$faults"
run breaker close docker:local
expect_rc 0
run spoke up NLD
expect_rc 0
run spoke status NLD
expect_rc 0
done_ok
