#!/usr/bin/env bash
# t0035: the scheduler and idempotent apply on the real engine with the
# stand-in image (startup delay and health from the environment), through
# bench/bench_apply (the deploy wiring without the state store):
# a dependency that turns unhealthy keeps its dependent from ever starting
# and the error names both; applying again with no change recreates
# nothing; changing one service's environment recreates only that one.
. "$(dirname "$0")/lib.sh"
APPLY=${BENCH_APPLY:?BENCH_APPLY must name bench_apply}
export MONGOC_DISABLE_SHM=1
project="dive-t0035-$$"
work=$(mktemp -d)
trap '"$APPLY" --down --project "$project" >/dev/null 2>&1; rm -rf "$work" "$T_OUT" "$T_ERR"' EXIT

"$DIVE" images build base standin >/dev/null 2>&1 || fail "cannot build the stand-in image"

stack() { # stack FILE HEALTH_OF_DB ENV_OF_API
	cat >"$1" <<YML
name: $project
services:
  db:
    image: dive/standin:local
    environment:
      STARTUP_DELAY_MS: "300"
      HEALTH: "$2"
    healthcheck: {test: ["CMD", "/dive/health"], interval: 500ms, timeout: 2s, retries: 2, start_period: 5s}
  cache:
    image: dive/standin:local
    environment:
      STARTUP_DELAY_MS: "200"
    healthcheck: {test: ["CMD", "/dive/health"], interval: 500ms, timeout: 2s, retries: 2}
  api:
    image: dive/standin:local
    environment:
      STARTUP_DELAY_MS: "200"
      FLAVOUR: "$3"
    depends_on:
      db: {condition: service_healthy}
      cache: {condition: service_healthy}
    healthcheck: {test: ["CMD", "/dive/health"], interval: 500ms, timeout: 2s, retries: 2}
x-dive:
  services:
    db: {timeout: 20s}
YML
}
ids() { docker ps -aq --no-trunc --filter "label=dive.project=$project" --filter "label=dive.service=$1"; }

# a dependency that turns unhealthy: api is never started, the error names both
stack "$work/bad.yml" fail one
T_RC=0
"$APPLY" --project "$project" --keep "$work/bad.yml" >"$T_OUT" 2>"$T_ERR" || T_RC=$?
T_CHECKS=$((T_CHECKS + 1)); [ "$T_RC" -ne 0 ] || fail "a failing dependency did not fail the run"
expect_json
expect_eq "$(json_get '[s["status"] for s in d["services"] if s["service"] == "api"][0]')" "blocked"
expect_eq "$(json_get '"api" in [s for s in d["services"] if s["service"] == "api"][0]["error"] and "db" in [s for s in d["services"] if s["service"] == "api"][0]["error"]')" "True"
expect_eq "$(ids api)" "" "api was started"
"$APPLY" --down --project "$project" >/dev/null 2>&1

# healthy stack, applied twice: nothing recreated
stack "$work/good.yml" ok one
run_apply() { T_RC=0; "$APPLY" --project "$project" --keep "$1" >"$T_OUT" 2>"$T_ERR" || T_RC=$?; }
run_apply "$work/good.yml"
expect_rc 0
expect_json
first_db=$(ids db) first_cache=$(ids cache) first_api=$(ids api)
T_CHECKS=$((T_CHECKS + 1)); [ -n "$first_db" ] && [ -n "$first_api" ] || fail "containers missing"
run_apply "$work/good.yml"
expect_rc 0
expect_eq "$(ids db) $(ids cache) $(ids api)" "$first_db $first_cache $first_api" "a second apply recreated something"

# one service's environment changed: only that one is recreated
stack "$work/changed.yml" ok two
run_apply "$work/changed.yml"
expect_rc 0
expect_eq "$(ids db) $(ids cache)" "$first_db $first_cache" "unchanged services were recreated"
T_CHECKS=$((T_CHECKS + 1)); [ "$(ids api)" != "$first_api" ] && [ -n "$(ids api)" ] || fail "the changed service was not recreated"
expect_eq "$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$(ids api)" | grep '^FLAVOUR=')" "FLAVOUR=two"

done_ok
