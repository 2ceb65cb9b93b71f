#!/usr/bin/env bash
# t0020: circuit breakers and recorded errors through the real binary against
# the real PostgreSQL.  What one process changes, the next one sees; forced
# open survives restarts; --dry-run and bad names change nothing; errors
# recent lists what runs recorded, newest first, with their remediation.
# ctest: beside-stacks (no shared engine object; runs beside the engine chain, tests/CMakeLists.txt)
. "$(dirname "$0")/lib.sh"
new_state_db t0020

run breaker list
expect_rc 0
expect_out "every endpoint is closed"
run breaker list --json
expect_rc 0
expect_json
expect_eq "$(json_get 'len(d["breakers"])')" "0"

# --dry-run says what it would do and writes nothing
run breaker open mongo:hub --dry-run
expect_rc 0
expect_out "would open breaker 'mongo:hub' (now closed)"
expect_eq "$(sql "SELECT count(*) FROM dive.breakers")" "0" "dry run wrote nothing"

# forced open by one process, seen by each process after it
run breaker open Mongo:Hub
expect_rc 0
expect_out "breaker 'mongo:hub' is forced open (was closed)"
for _ in 1 2 3; do
	run breaker show mongo:hub --json
	expect_rc 0
	expect_json
	expect_eq "$(json_get 'd["state"]')" "forced_open"
done
expect_eq "$(json_get 'd["changed_by"].startswith("dive breaker open mongo:hub (pid ")')" "True"
expect_eq "$(json_get 'd["config"]["class"]')" "mongo"
run breaker show mongo:hub
expect_rc 0
expect_out "'dive breaker close mongo:hub' closes it"
run breaker open mongo:hub
expect_rc 0
expect_out "is forced open already"

# hostile names: exit 2 for every verb, nothing changes
before=$(sql "SELECT count(*) || ':' || max(version) FROM dive.breakers")
long=$(printf 'a%.0s' $(seq 70))
for bad in "mongo hub" "mongo'; DROP TABLE dive.breakers; --" "" ":x" "1docker" "$long" "$(printf 'a\nb')"; do
	for verb in show open close reset disable; do
		run breaker "$verb" "$bad"
		expect_rc 2
		case "$bad" in
		*$'\n'*) expect_err "argument 3 has a control character" ;; # refused with any argument
		*) expect_err "breaker name" ;;
		esac
	done
done
expect_eq "$(sql "SELECT count(*) || ':' || max(version) FROM dive.breakers")" "$before" "bad names changed nothing"

# a breaker a failing run opened says when the next probe is allowed
sql "INSERT INTO dive.breakers (name, state, open_count, opened_at, next_probe_at, last_error, generation)
     VALUES ('keycloak:deu', 'open', 2, now(), now() + interval '90 seconds', 'connection refused', 3)" >/dev/null
run breaker show keycloak:DEU
expect_rc 0
expect_out "breaker 'keycloak:deu': open, next probe in"
expect_out "connection refused"
expect_out "the next opening lasts 60.0s"
run breaker list --json
expect_rc 0
expect_json
expect_eq "$(json_get '[b["name"] + "=" + b["state"] for b in d["breakers"]]')" "['keycloak:deu=open', 'mongo:hub=forced_open']"
n=$(json_get 'd["breakers"][0]["next_probe_in_s"]')
[ "$n" -ge 80 ] && [ "$n" -le 90 ] || fail "next probe in ${n}s, expected about 90"
run breaker list
expect_rc 0
expect_out "open, next probe in"

# close resets the counters and the openings
run breaker close keycloak:deu --dry-run
expect_rc 0
expect_out "would close breaker 'keycloak:deu' (now open)"
expect_eq "$(sql "SELECT state FROM dive.breakers WHERE name = 'keycloak:deu'")" "open"
run breaker close keycloak:deu
expect_rc 0
expect_out "is closed (was open)"
expect_eq "$(sql "SELECT state || ':' || open_count || ':' || failures FROM dive.breakers WHERE name = 'keycloak:deu'")" \
	"closed:0:0"

run breaker disable docker --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["before"]["state"] + ">" + d["after"]["state"]')" "closed>disabled"

# reset forgets the row; its dry run keeps it
run breaker reset mongo:hub --dry-run
expect_rc 0
expect_out "would reset breaker 'mongo:hub' (now forced_open)"
expect_eq "$(sql "SELECT count(*) FROM dive.breakers WHERE name = 'mongo:hub'")" "1"
run breaker reset mongo:hub
expect_rc 0
expect_out "is forgotten (was forced_open)"
expect_eq "$(sql "SELECT count(*) FROM dive.breakers WHERE name = 'mongo:hub'")" "0"
run breaker reset mongo:hub
expect_rc 0
expect_out "nothing to forget"

# closing a breaker that has no row creates none
run breaker close postgres
expect_rc 0
expect_out "breaker 'postgres' is closed already"
expect_eq "$(sql "SELECT count(*) FROM dive.breakers WHERE name = 'postgres'")" "0"

# a name of no known class works with the default configuration, and says so
run breaker open opa:hub
expect_rc 0
expect_err "'opa' is not a breaker class; the 'default' configuration applies"

# errors recent
run errors recent
expect_rc 0
expect_out "no error recorded"
sql "INSERT INTO dive.instances (code) VALUES ('DEU');
     INSERT INTO dive.errors (code, severity, component, message, remediation, instance, at) VALUES
      (1314, 'critical', 'mongo:hub', 'ping: connection refused', 'dive hub status', 'DEU', now() - interval '2 minutes'),
      (1703, 'high', 'mongo:hub', 'breaker open', 'dive breaker list', 'DEU', now() - interval '1 minute'),
      (1208, 'critical', 'docker', 'engine down', 'docker info', NULL, now())" >/dev/null
run errors recent
expect_rc 0
expect_out "1208 DOCKER_UNREACHABLE"
expect_out "remediation: docker info"
case $(head -1 "$T_OUT") in *" 1208 "*) ;; *) fail "the newest error is not first" ;; esac
run errors recent circuit_open --json
expect_rc 0
expect_json
expect_eq "$(json_get 'len(d["errors"])')" "1"
expect_eq "$(json_get 'd["errors"][0]["remediation"]')" "dive breaker list"
run errors recent 1314 --json
expect_rc 0
expect_eq "$(json_get 'd["errors"][0]["instance"] + " " + d["errors"][0]["name"]')" "DEU MONGODB_UNREACHABLE"
run errors recent --limit 2 --json
expect_rc 0
expect_eq "$(json_get 'len(d["errors"])')" "2"
run errors recent 1209
expect_rc 0
expect_out "no error 1209 (IMAGE_MISSING) recorded"
run errors recent --limit 0
expect_rc 2
run errors recent NOPE
expect_rc 2
expect_err "'NOPE' is not an error code"
run errors recent 1999
expect_rc 2

# every --json output parses
for cmd in "breaker list --json" "breaker show docker --json" "errors recent --json" \
	"breaker open x:y --dry-run --json" "breaker reset x:y --json"; do
	run $cmd
	expect_rc 0
	expect_json
done

done_ok
