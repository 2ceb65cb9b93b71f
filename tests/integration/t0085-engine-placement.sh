#!/usr/bin/env bash
# t0085: a spoke's placement on an engine (issue 18 phase 2), with engine B:
#
#  - a deployed spoke is not moved by a deploy: --engine b (or engine: b in
#    instance.yml) for a spoke placed on the local engine is refused (exit 6,
#    ENGINE_MOVE) before anything changes; a cleaned one may be placed anew;
#  - spoke status reads the placement: the engine is named; B's dockerd
#    killed: the spoke is "unreachable" (not absent, not healthy), exit 3,
#    and the breaker docker:b opens; B back: the spoke is reachable again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_engine.sh"
engine_setup t0085
export DIVE_RETRY=docker.attempts=2,docker.initial_ms=50,docker.cap_ms=100
export DIVE_BREAKER=docker.failures=3,docker.open_base_ms=1500,docker.successes=2
engine_b_up
engine_add b
expect_rc 0

expect_py() {
	T_CHECKS=$((T_CHECKS + 1))
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$T_OUT" "$1" || fail "JSON check failed: $1"
}
counts() { sql "SELECT (SELECT count(*) FROM dive.runs) || '/' || (SELECT count(*) FROM dive.transitions) || '/' || coalesce((SELECT engine FROM dive.instances WHERE code = 'GRC'), 'local')"; }

# GRC deployed on the local engine (as the state store says): moving it is refused, nothing changes
sql "INSERT INTO dive.instances (code, state, version) VALUES ('GRC', 'COMPLETE', 3)" >/dev/null
before=$(counts)
run spoke deploy GRC --engine b
expect_rc 6
expect_err "spoke 'GRC' is placed on engine 'local'; flag --engine asks for 'b'"
expect_err "hint: dive spoke clean CODE"
expect_eq "$(counts)" "$before" "a refused move changed the state store"
mkdir -p "$DIVE_INSTANCES_DIR/grc"
printf 'engine: b\n' >"$DIVE_INSTANCES_DIR/grc/instance.yml"
run spoke up GRC
expect_rc 6
expect_err "$DIVE_INSTANCES_DIR/grc/instance.yml:1 asks for 'b'"
expect_eq "$(counts)" "$before" "a refused move changed the state store"
rm -rf "$DIVE_INSTANCES_DIR/grc"

# placed on B: status names it and asks B (nothing of GRC runs there: not healthy, exit 3)
sql "UPDATE dive.instances SET engine = 'b' WHERE code = 'GRC'" >/dev/null
run spoke status GRC --json
expect_rc 3
expect_py 'd["spokes"][0]["engine"] == "b" and d["spokes"][0].get("health") != "unreachable"'
expect_py 'all(s["state"] == "missing" for s in d["spokes"][0]["services"])'
run spoke status GRC
expect_rc 3
expect_out "GRC Greece  COMPLETE  engine b"

# B's dockerd killed: unreachable, with the engine named; the breaker opens
"$ENGINE_B" kill >/dev/null || fail "cannot kill engine B's dockerd"
run spoke status GRC --json
expect_rc 3
expect_py 'd["healthy"] is False and d["spokes"][0]["health"] == "unreachable" and d["spokes"][0]["engine"] == "b"'
expect_py 'd["spokes"][0]["state"] == "COMPLETE" and d["spokes"][0]["services"] == []'
run spoke status GRC
expect_rc 3
expect_out "  unreachable: "
run spoke status
expect_rc 3
expect_out "GRC Greece  COMPLETE  engine b"
for _ in 1 2 3 4; do
	[ "$("$DIVE" breaker show docker:b --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" = open ] && break
	"$DIVE" spoke status GRC >/dev/null 2>&1
done
run breaker show docker:b --json
expect_py 'd["state"] == "open"'
run spoke status GRC --json
expect_rc 3
expect_py 'd["spokes"][0]["health"] == "unreachable" and "open" in d["spokes"][0]["error"]'

# B back: reachable again once the breaker lets a probe through
"$ENGINE_B" start >/dev/null || fail "cannot start engine B's dockerd again"
back=""
for _ in $(seq 40); do
	run spoke status GRC --json
	if grep -q '"missing"' "$T_OUT"; then back=1; break; fi
	sleep 0.5
done
T_CHECKS=$((T_CHECKS + 1)); [ -n "$back" ] || fail "GRC stayed unreachable after B came back"

# cleaned (UNKNOWN): it may be placed anew; engine remove refuses while it is placed
run engine remove b
expect_rc 6
sql "UPDATE dive.instances SET state = 'CLEANUP', version = version + 1 WHERE code = 'GRC'" >/dev/null
sql "UPDATE dive.instances SET state = 'UNKNOWN', version = version + 1 WHERE code = 'GRC'" >/dev/null
run --dry-run spoke deploy GRC --engine local
T_CHECKS=$((T_CHECKS + 1)); ! grep -q "ENGINE_MOVE\|is placed on engine" "$T_ERR" || fail "a cleaned spoke was held to its old engine"
done_ok
