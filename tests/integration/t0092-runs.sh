#!/usr/bin/env bash
# t0092: dive runs list / show read back what runs recorded: a real deploy
# that fails in preflight (an engine that is not there: its error, exit 7),
# and a run written into the store with known times, whose phases, steps,
# durations and errors must come back exactly.  No stack is deployed.
# ctest: beside-stacks (no shared engine object; runs beside the engine chain, tests/CMakeLists.txt)
. "$(dirname "$0")/lib.sh"
new_state_db t0092
inst=$(mktemp -d)
trap 'rm -rf "$inst" "$T_OUT" "$T_ERR"; psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1' EXIT

run runs list
expect_rc 0
expect_out "no run recorded"

# a real run: preflight cannot reach the engine
run --instances-dir "$inst" --docker-host "unix://$inst/no.sock" spoke deploy DEU
expect_rc 7
real=$(sql "SELECT max(id) FROM dive.runs WHERE code = 'DEU'")
[ -n "$real" ] || fail "the failed deploy recorded no run"

# a run with known times: two phases, a retried step, a failed one, an error
sql "INSERT INTO dive.instances (code) VALUES ('FRA') ON CONFLICT DO NOTHING" >/dev/null
fake=$(sql "INSERT INTO dive.runs (code, mode, started_at, ended_at, outcome, actor, host, pid)
	VALUES ('FRA', 'deploy', '2026-01-01 10:00:00+00', '2026-01-01 10:02:05+00', 'failed', 't0092', 'h', 1) RETURNING id")
sql "INSERT INTO dive.steps (run_id, phase, service, action, idem_key, attempt, status, started_at, ended_at, duration_ms, error_code, error) VALUES
	($fake, 'preflight', '', 'ports', 'preflight//ports', 1, 'done', '2026-01-01 10:00:00+00', '2026-01-01 10:00:01.5+00', 1500, NULL, NULL),
	($fake, 'deployment', 'postgres', 'start', 'deployment/postgres/start', 1, 'done', '2026-01-01 10:00:02+00', '2026-01-01 10:00:12+00', 10000, NULL, NULL),
	($fake, 'deployment', 'keycloak', 'start', 'deployment/keycloak/start', 2, 'failed', '2026-01-01 10:00:12+00', '2026-01-01 10:02:04+00', 112000, 1204, 'keycloak not healthy after 112s')" >/dev/null
step=$(sql "SELECT id FROM dive.steps WHERE run_id = $fake AND service = 'keycloak'")
sql "INSERT INTO dive.errors (at, code, severity, component, message, remediation, instance, run_id, step_id)
	VALUES ('2026-01-01 10:02:04+00', 1204, 'critical', 'pipeline', 'keycloak not healthy after 112s',
	'dive spoke status CODE', 'FRA', $fake, $step)" >/dev/null

run runs list --json
expect_rc 0
expect_json
expect_eq "$(json_get '[r["id"] for r in d["runs"]] == sorted([r["id"] for r in d["runs"]], reverse=True)')" True "newest first"
expect_eq "$(json_get 'len(d["runs"])')" 2
expect_eq "$(json_get '[(r["code"], r["outcome"], r["errors"]) for r in d["runs"] if r["id"] == '"$real"']')" "[('DEU', 'failed', 1)]"
expect_eq "$(json_get '[(r["duration_ms"], r["steps"], r["failed_steps"], r["errors"]) for r in d["runs"] if r["id"] == '"$fake"']')" "[(125000, 3, 1, 1)]"

run runs list FRA
expect_rc 0
expect_out "FRA  deploy   failed"
expect_out "2m05s"
T_CHECKS=$((T_CHECKS + 1))
! grep -q "DEU" "$T_OUT" || fail "runs list FRA shows DEU's run"

run runs list --limit 1 --json
expect_rc 0
expect_eq "$(json_get 'len(d["runs"])')" 1

run runs show "$fake" --json
expect_rc 0
expect_json
expect_eq "$(json_get '[(p["phase"], p["duration_ms"], p["steps"], p["failed"]) for p in d["phases"]]')" \
	"[('preflight', 1500, 1, 0), ('deployment', 122000, 2, 1)]"
expect_eq "$(json_get '[(s["service"], s["status"], s["attempt"], s["duration_ms"], s["error_code"]) for s in d["steps"]]')" \
	"[('', 'done', 1, 1500, None), ('postgres', 'done', 1, 10000, None), ('keycloak', 'failed', 2, 112000, 1204)]"
expect_eq "$(json_get '[(e["code"], e["severity"], e["step_id"]) for e in d["errors"]]')" "[(1204, 'critical', $step)]"
expect_eq "$(json_get 'd["started_at"], d["ended_at"], d["outcome"]')" "('2026-01-01T10:00:00.000Z', '2026-01-01T10:02:05.000Z', 'failed')"

run runs show "$fake"
expect_rc 0
expect_out "run $fake  FRA deploy: failed"
expect_out "deployment          2m02s    2 steps, failed"
expect_out "attempt 2  error 1204: keycloak not healthy after 112s"
expect_out "hint: dive spoke status CODE"

run runs show "$real"
expect_rc 0
expect_out "1208 critical"
expect_out "none: the run recorded no step"

run runs show 999999
expect_rc 1
expect_err "no run 999999"
run runs show 12x
expect_rc 2
expect_err "is not a run id"
run runs list XXX
expect_rc 2

done_ok
