#!/usr/bin/env bash
# t0031: no value from the environment reaches a message (issue 10, item 3).
# The cases cover every refusal of the loader that quotes a value, the
# keys of issue 19 included.
# DB_PASSWORD holds a secret; every stack file below interpolates it into a
# field whose value makes the loader (or the graph) refuse the file.  Each is
# read by `dive graph --file` twice (DB_PASSWORD a plain variable, then
# declared in x-dive.secrets) and with --json: exit 2, one line, the refusal
# we meant to reach, and the secret in neither stdout nor stderr.  Then two
# of them as the spoke stack of a deploy (a private state database, an image
# that does not exist, so nothing could start even if the file loaded): the
# recorded error in dive.errors does not hold the secret either.
# ctest: beside-stacks (no shared engine object; runs beside the engine chain, tests/CMakeLists.txt)
. "$(dirname "$0")/lib.sh"

SECRET=Hunter2-TopSecret
export DB_PASSWORD=$SECRET
work=$(mktemp -d)
trap 'rm -rf "$work" "$T_OUT" "$T_ERR"' EXIT
[ -n "${DIVE_STATE_URL:-}" ] || { echo "run tests/env/up and source tests/env/.env" >&2; exit 1; }

# no_secret FILE...: none of the files holds the secret
no_secret() {
	local f
	for f in "$@"; do
		T_CHECKS=$((T_CHECKS + 1))
		! grep -qF -- "$SECRET" "$f" || fail "the secret is in $(basename "$f"): $(grep -F -- "$SECRET" "$f" | head -c 300)"
	done
}

# Each case: the refusal it must reach, the file without x-dive, and lines
# for x-dive (or nothing).  Single quotes: ${DB_PASSWORD} is for dive.
cases=()
add() { cases+=("$1" "$2" "${3:-}"); }
add "invalid variable name" '
services:
  db:
    image: x
    environment:
      - "${DB_PASSWORD} x"'
add "invalid variable name" '
services:
  db:
    image: x
    environment:
      - "${DB_PASSWORD}"'
add "is set twice" '
services:
  db:
    image: x
    environment:
      - "A=${DB_PASSWORD}"
      - "A=${DB_PASSWORD}"'
add 'must start with "CMD"' '
services:
  db:
    image: x
    healthcheck:
      test: ["${DB_PASSWORD}", "x"]'
add "must be true or false" '
services:
  db:
    image: x
    init: "${DB_PASSWORD}"'
add "must be a whole number" '
services:
  db:
    image: x
    healthcheck: {test: ["CMD", "true"], retries: "${DB_PASSWORD}"}'
add "bad duration" '
services:
  db:
    image: x
    healthcheck: {test: ["CMD", "true"], interval: "${DB_PASSWORD}"}'
add "invalid container name" '
services:
  db:
    image: x
    container_name: "${DB_PASSWORD}/x"'
add "the same container_name" '
services:
  a:
    image: x
    container_name: "c-${DB_PASSWORD}"
  b:
    image: x
    container_name: "c-${DB_PASSWORD}"'
add "unknown policy" '
services:
  db:
    image: x
    restart: "${DB_PASSWORD}"'
add "bad port" '
services:
  db:
    image: x
    ports: ["${DB_PASSWORD}"]'
add "bad port" '
services:
  db:
    image: x
    ports: ["127.0.0.1:${DB_PASSWORD}:80"]'
add "must be an absolute path" '
services:
  db:
    image: x
    volumes: ["${DB_PASSWORD}"]'
add "bad volume option" '
services:
  db:
    image: x
    volumes: ["/a:/b:${DB_PASSWORD}"]'
add "which is not defined under volumes" '
services:
  db:
    image: x
    volumes: ["${DB_PASSWORD}:/data"]'
add "must be an absolute path" '
services:
  db:
    image: x
    tmpfs: ["${DB_PASSWORD}"]'
add "invalid alias" '
services:
  db:
    image: x
    networks:
      n: {aliases: ["${DB_PASSWORD}/x"]}
networks:
  n:'
add "has no address" '
services:
  db:
    image: x
    extra_hosts: ["${DB_PASSWORD}"]'
add "duplicate entry" '
services:
  db:
    image: x
    labels: ["${DB_PASSWORD}=1", "${DB_PASSWORD}=2"]'
add "unknown condition" '
services:
  db:
    image: x
  app:
    image: x
    depends_on:
      db: {condition: "${DB_PASSWORD}"}'
add "invalid name" '
services:
  db:
    image: x
    depends_on: ["${DB_PASSWORD}"]'
add "invalid name" '
services:
  db:
    image: x
    networks: ["${DB_PASSWORD}"]'
add "invalid name" '
services:
  db:
    image: x
    profiles: ["${DB_PASSWORD}"]'
add "invalid name" '
services:
  db:
    image: x
networks:
  n: {name: "${DB_PASSWORD}/x"}'
add "must be true or false" '
services:
  db:
    image: x
volumes:
  v: {external: "${DB_PASSWORD}"}'
add "invalid project name" '
name: "${DB_PASSWORD}"
services:
  db:
    image: x'
add "bad size" '
services:
  db:
    image: x
    mem_limit: "${DB_PASSWORD}"'
add "must be a number of CPUs" '
services:
  db:
    image: x
    deploy: {resources: {limits: {cpus: "${DB_PASSWORD}"}}}'
add "must be a whole number" '
services:
  db:
    image: x
    ulimits: {nofile: "${DB_PASSWORD}"}'
add "is not a capability" '
services:
  db:
    image: x
    cap_add: ["${DB_PASSWORD}"]'
add "is not a sysctl name" '
services:
  db:
    image: x
    sysctls: ["${DB_PASSWORD}=1"]'
add "invalid driver name" '
services:
  db:
    image: x
    logging: {driver: "${DB_PASSWORD}/x y"}'
add "bad port" '
services:
  db:
    image: x
    ports: [{target: 80, published: "${DB_PASSWORD}"}]'
add "is not an IP address" '
services:
  db:
    image: x
    ports: [{target: 80, host_ip: "${DB_PASSWORD}"}]'
add "must be tcp, udp or sctp" '
services:
  db:
    image: x
    ports: [{target: 80, protocol: "${DB_PASSWORD}"}]'
add "is not supported by dive (volume, bind or tmpfs)" '
services:
  db:
    image: x
    volumes: [{type: "${DB_PASSWORD}", target: /x}]'
add "must be an octal mode" '
services:
  db:
    image: x
    volumes: [{type: tmpfs, target: /x, tmpfs: {mode: "${DB_PASSWORD}"}}]'
add "bad volume option" '
services:
  db:
    image: x
    volumes: ["/a:/b:ro,${DB_PASSWORD}"]'
add "is a label dive sets itself" '
services:
  db:
    image: x
    labels: ["dive.${DB_PASSWORD}=1"]'
add "is not an http://" '
services:
  db:
    image: x' '
  services:
    db: {probe: "${DB_PASSWORD}"}'
add "must be '"'fail'"' or '"'tolerate'"'" '
services:
  db:
    image: x' '
  services:
    db: {unhealthy: "${DB_PASSWORD}"}'
add "bad duration" '
services:
  db:
    image: x' '
  services:
    db: {timeout: "${DB_PASSWORD}"}'
add "unbalanced quote" '
services:
  db:
    image: x
    command: "run '"'"'${DB_PASSWORD}"'

# stack DECLARED BODY XDIVE: a case's file; DB_PASSWORD is declared a secret when DECLARED is 1
stack() {
	printf 'x-dive:\n  secrets: [%s]%s\n%s\n' "$([ "$1" = 1 ] && echo DB_PASSWORD)" "$3" "$2"
}

engine=${DOCKER_HOST:-}
export DOCKER_HOST=unix:///nonexistent/docker.sock
n=0
for ((i = 0; i < ${#cases[@]}; i += 3)); do
	want=${cases[i]} body=${cases[i + 1]} extra=${cases[i + 2]}
	n=$((n + 1))
	for declared in 0 1; do
		f="$work/case$n-$declared.yml"
		stack "$declared" "$body" "$extra" >"$f"
		run graph --file "$f"
		expect_rc 2
		no_secret "$T_OUT" "$T_ERR"
		T_CHECKS=$((T_CHECKS + 1))
		[ "$(wc -l <"$T_ERR")" -eq 1 ] || fail "case $n: more than one line"
		# plain variable: the refusal we aimed at (a declared secret may be refused as one first)
		[ "$declared" = 0 ] && expect_err "$want"
		expect_err "case$n-$declared.yml:"
		run --json graph --file "$f"
		expect_rc 2
		expect_json
		no_secret "$T_OUT" "$T_ERR"
	done
done

# The name of a variable in a field that must not carry one is said, not its value.
printf 'x-dive: {secrets: [DB_PASSWORD]}\nservices:\n  db: {image: "img-${DB_PASSWORD}"}\n' >"$work/image.yml"
run graph --file "$work/image.yml"
expect_rc 2
expect_err "services.db.image uses a secret variable"
no_secret "$T_OUT" "$T_ERR"

# A deploy-time load: the stack file of a deploy, and what it records in dive.errors.
new_state_db t0031
trap 'rm -rf "$work" "$T_OUT" "$T_ERR"; psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1' EXIT
if [ -n "$engine" ]; then export DOCKER_HOST=$engine; else unset DOCKER_HOST; fi
export DIVE_STACKS_DIR="$work/stacks" DIVE_SECRETS=env DIVE_SECRET_FRA_DB_PASSWORD=$SECRET
mkdir -p "$DIVE_STACKS_DIR"
for k in 0 3; do
	want=${cases[3 * k]} body=${cases[3 * k + 1]}
	stack 0 "${body//image: x/image: dive/t0031-absent:local}" "" >"$DIVE_STACKS_DIR/docker-compose.spoke.yml"
	run spoke deploy FRA
	expect_rc 2
	expect_err "$want"
	no_secret "$T_OUT" "$T_ERR"
	run --json spoke deploy FRA
	expect_rc 2
	no_secret "$T_OUT" "$T_ERR"
done
sql "SELECT code || ' ' || message FROM dive.errors ORDER BY id" >"$work/errors"
expect_eq "$(grep -c '^1105 .*docker-compose.spoke.yml' "$work/errors")" "4" "four loads refused and recorded"
no_secret "$work/errors"
# nowhere in the state database: every table, every column
pg_dump --data-only "$DIVE_STATE_URL" >"$work/dump" 2>/dev/null || fail "pg_dump failed"
T_CHECKS=$((T_CHECKS + 1)); grep -q '^COPY dive.errors' "$work/dump" || fail "the dump has no dive.errors"
no_secret "$work/dump"

done_ok
