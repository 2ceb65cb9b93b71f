#!/usr/bin/env bash
# t0047: the live view of a deploy in a real terminal (tmux, capture-pane).
# A spoke (LUX) whose stack file is stand-ins (DIVE_STACKS_DIR): db becomes
# healthy after 4 s, api waits for it, slow stays "health starting" (its
# start period is longer than its timeout, 14 s), so the run fails in deployment and
# rolls back, touching nothing of the hub or DEU (it needs the hub t0040
# leaves up for the spoke preflight; its number puts it right after
# t0040 in the engine chain of tests/CMakeLists.txt).  The screen, read while it runs, shows each
# service waiting for its dependency, health starting with its seconds,
# healthy, and the elapsed time moving; the same deploy off a terminal
# (and with CI set on one) prints the plain lines; -q prints no progress.
. "$(dirname "$0")/lib.sh"
new_state_db t0047
work=$(mktemp -d)
sess="dive-t0047-$$"
cleanup() {
	tmux -L "$sess" kill-server 2>/dev/null
	"$DIVE" --instances-dir "$work/inst" spoke clean LUX --yes >/dev/null 2>&1
	rm -rf "$work" "$T_OUT" "$T_ERR"
	psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT
command -v tmux >/dev/null || { echo "FAIL: tmux is not installed (tests/env/packages)" >&2; exit 1; }
"$DIVE" images build base standin >/dev/null 2>&1 || fail "cannot build the stand-in image"
[ -n "$(docker ps -q --filter label=dive.project=dive-hub --filter label=dive.service=keycloak)" ] ||
	fail "the hub is not running: t0047 deploys a spoke beside the hub t0040 leaves up"

mkdir -p "$work/stacks" "$work/inst"
cat >"$work/stacks/docker-compose.spoke.yml" <<'YML'
name: dive-spoke-${DIVE_CODE_LOWER}
x-dive:
  services:
    slow:
      timeout: 14s
      unhealthy: tolerate
x-standin: &standin
  image: dive/standin:local
services:
  db:
    <<: *standin
    environment: {STARTUP_DELAY_MS: "4000"}
    healthcheck: {test: ["CMD", "/dive/health"], interval: 1s, timeout: 2s, retries: 2, start_period: 20s}
  api:
    <<: *standin
    depends_on: {db: {condition: service_healthy}}
    healthcheck: {test: ["CMD", "/dive/health"], interval: 1s, timeout: 2s, retries: 2, start_period: 20s}
  slow:
    <<: *standin
    environment: {HEALTH: fail}
    healthcheck: {test: ["CMD", "/dive/health"], interval: 1s, timeout: 2s, retries: 2, start_period: 60s}
YML
cp "$DIVE_SOURCE_DIR/docker-compose.hub.yml" "$work/stacks/"
export DIVE_STACKS_DIR="$work/stacks"

# in a terminal: the view, redrawn
cat >"$work/run.sh" <<EOF
export DIVE_STATE_URL='$DIVE_STATE_URL' DIVE_STACKS_DIR='$DIVE_STACKS_DIR' DOCKER_HOST='${DOCKER_HOST:-}' MONGOC_DISABLE_SHM=1
unset CI NO_COLOR
'$DIVE' --instances-dir '$work/inst' spoke deploy LUX --rollback auto
echo "exit=\$?" >'$work/rc'
sleep 600
EOF
tmux -L "$sess" new-session -d -s "$sess" -x 120 -y 40 "bash $work/run.sh"
screen() { tmux -L "$sess" capture-pane -p -t "$sess"; }
seen_wait= seen_start= seen_healthy= secs=()
for _ in $(seq 300); do
	s=$(screen)
	grep -qE '^  api +waiting for db$' <<<"$s" && seen_wait=1
	if grep -qE '^  slow +health starting \([0-9]+s\)$' <<<"$s"; then
		seen_start=1
		secs+=("$(sed -n 's/^  slow *health starting (\([0-9]*\)s)$/\1/p' <<<"$s")")
	fi
	grep -qE '^  db +healthy \([0-9]+s\)$' <<<"$s" && grep -qE '^  api +healthy' <<<"$s" && seen_healthy=1
	[ -s "$work/rc" ] && break
	sleep 0.2
done
screen >"$work/last"
T_CHECKS=$((T_CHECKS + 1)); [ -s "$work/rc" ] || fail "the deploy did not end: $(cat "$work/last")"
T_CHECKS=$((T_CHECKS + 1))
[ "$(cat "$work/rc")" = exit=1 ] || fail "$(cat "$work/rc"), expected exit=1 (a service never gets healthy); the screen: $(cat "$work/last")"
T_CHECKS=$((T_CHECKS + 1)); [ -n "$seen_wait" ] || fail "the screen never showed 'api waiting for db'"
T_CHECKS=$((T_CHECKS + 1)); [ -n "$seen_start" ] || fail "the screen never showed 'slow health starting (Ns)'"
T_CHECKS=$((T_CHECKS + 1)); [ -n "$seen_healthy" ] || fail "the screen never showed db and api healthy"
T_CHECKS=$((T_CHECKS + 1))
[ "$(printf '%s\n' "${secs[@]}" | sort -n | uniq | wc -l)" -ge 3 ] || fail "the seconds of health starting did not move: ${secs[*]}"
T_CHECKS=$((T_CHECKS + 1))
grep -qE '^spoke LUX: [a-z]+, [0-9]+s$' "$work/last" || fail "no header with the elapsed time: $(cat "$work/last")"
T_CHECKS=$((T_CHECKS + 1))
grep -q "cannot deploy spoke 'LUX'" "$work/last" || fail "the failure is not on the screen: $(cat "$work/last")"
# one block: the view is redrawn in place, not repeated
T_CHECKS=$((T_CHECKS + 1))
[ "$(grep -cE '^  db +' "$work/last")" -eq 1 ] || fail "the view was printed more than once: $(cat "$work/last")"
tmux -L "$sess" kill-server
echo "screen at the end:"; sed -n '/^spoke LUX/,/^[^ ]/p' "$work/last" | head -6

# not a terminal: the plain lines, no escape sequence
run --instances-dir "$work/inst" spoke deploy LUX
expect_rc 1
expect_err "deployment"
T_CHECKS=$((T_CHECKS + 1))
! grep -q $'\033' "$T_ERR" || fail "escape sequences off a terminal"
T_CHECKS=$((T_CHECKS + 1))
! grep -q "health starting" "$T_ERR" || fail "the live view off a terminal"

# -q: nothing but the failure
run -q --instances-dir "$work/inst" spoke deploy LUX
expect_rc 1
T_CHECKS=$((T_CHECKS + 1))
! grep -q "deployment\|health starting" "$T_ERR" || fail "-q printed progress"

done_ok
