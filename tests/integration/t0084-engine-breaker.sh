#!/usr/bin/env bash
# t0084: engine B's dockerd killed: `dive engine check b` fails (exit 7) and
# the breaker docker:b opens (dive breaker list shows it; docker:local is not
# touched); while open, checks fail at once without asking the engine;
# dockerd started again: probes close the breaker.  Then engine B is taken
# down and nothing of it is left (namespace, interface, processes, mounts).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_engine.sh"
engine_setup t0084
export DIVE_RETRY=docker.attempts=2,docker.initial_ms=50,docker.cap_ms=100
export DIVE_BREAKER=docker.failures=3,docker.open_base_ms=1500,docker.successes=2
engine_b_up
engine_add b
expect_rc 0
run engine check b
expect_rc 0
breaker_state() { "$DIVE" breaker show docker:b --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }

"$ENGINE_B" kill >/dev/null || fail "cannot kill engine B's dockerd"
run engine check b
expect_rc 7
expect_err "engine 'b' failed its check: docker engine unreachable"
for _ in 1 2 3; do
	[ "$(breaker_state)" = open ] && break
	run engine check b
done
expect_eq "$(breaker_state)" "open"
run breaker list
expect_rc 0
expect_out "docker:b"
T_CHECKS=$((T_CHECKS + 1)); grep "^docker:b " "$T_OUT" | grep -q "open" || fail "breaker list does not show docker:b open"
expect_eq "$(sql "SELECT count(*) FROM dive.breakers WHERE name = 'docker:local' AND state <> 'closed'")" "0"
run engine check b
expect_rc 7
expect_err "breaker 'docker:b' is open until"
expect_err "hint: dive breaker list (error 1703 CIRCUIT_OPEN)"
run engine list
expect_rc 0
T_CHECKS=$((T_CHECKS + 1)); grep -E "^b +tcp://10.231.0.2:2376 +mtls +open" "$T_OUT" >/dev/null || fail "engine list does not show the open breaker"

"$ENGINE_B" start >/dev/null || fail "cannot start engine B's dockerd again"
closed=""
for _ in $(seq 40); do
	"$DIVE" engine check b >/dev/null 2>&1 || true
	if [ "$(breaker_state)" = closed ]; then closed=1; break; fi
	sleep 0.5
done
T_CHECKS=$((T_CHECKS + 1)); [ -n "$closed" ] || fail "breaker docker:b did not close after dockerd came back: $(breaker_state)"
run engine check b
expect_rc 0

# down leaves nothing of engine B behind
"$ENGINE_B" down >/dev/null || fail "engine-b down"
T_ENGINE_UP=""
expect_eq "$(ip netns list | grep -c dive-engb || true)" "0" "network namespace"
expect_eq "$(ip link show dive-engb0 >/dev/null 2>&1 && echo left)" "" "veth"
expect_eq "$(grep -c /var/tmp/dive-engine-b /proc/self/mountinfo || true)" "0" "mounts"
expect_eq "$(ps -eo args | grep -c '[/]var/tmp/dive-engine-b' || true)" "0" "processes"
T_CHECKS=$((T_CHECKS + 1)); [ ! -e /var/tmp/dive-engine-b ] || fail "the run directory is left"
done_ok
