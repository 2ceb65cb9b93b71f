#!/usr/bin/env bash
# t0081: engines as state, against the real PostgreSQL and without a second
# engine: what `dive engine add` refuses (plain HTTP off loopback, credentials
# in the URL, unusable material) before anything is written, that the store
# keeps paths and never material, and that an engine with instances placed
# on it cannot be removed.  The breaker of an engine that does not answer is
# its own (docker:<name>).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_engine.sh"
engine_setup t0081
export DIVE_RETRY=docker.attempts=2,docker.initial_ms=50
"$DIVE" certs init >/dev/null && "$DIVE" certs issue client dive >/dev/null || fail "cannot make the PKI"
c="$PKI/client/dive"
rows() { sql "SELECT count(*) FROM dive.engines"; }

run engine list
expect_rc 0
expect_out "local"
expect_eq "$(rows)" "0"

# refused before anything is written: exit 2 (input) or 8 (material)
run engine add b --url tcp://10.231.0.2:2376
expect_rc 2
expect_err "refusing plain HTTP to docker host 'tcp://10.231.0.2:2376'"
run engine add b --url tcp://admin:s3cret@10.231.0.2:2376 --tls-ca "$c/ca.pem" --tls-cert "$c/cert.pem" --tls-key "$c/key.pem"
expect_rc 2
expect_err "carries a user or password"
T_CHECKS=$((T_CHECKS + 1)); ! grep -q "s3cret\|admin" "$T_ERR" "$T_OUT" || fail "the URL's credentials were repeated"
run engine add b --url tcp://10.231.0.2:2376 --tls-ca "$c/ca.pem" --tls-cert "$c/cert.pem"
expect_rc 2
expect_err "all three"
run engine add local --url tcp://127.0.0.1:2375
expect_rc 2
run engine add B-1 --url tcp://127.0.0.1:2375
expect_rc 2
run engine add b --url http://10.231.0.2:2376 --tls-ca "$c/ca.pem" --tls-cert "$c/cert.pem" --tls-key "$c/key.pem"
expect_rc 2
run engine add b --url tcp://10.231.0.2:2376 --tls-ca "$c/ca.pem" --tls-cert "$c/cert.pem" --tls-key "$c/nokey.pem"
expect_rc 8
expect_err "error 1214 TLS_MATERIAL_INVALID"
cp "$c/key.pem" "$T_WORK/loose.pem" && chmod 0644 "$T_WORK/loose.pem"
run engine add b --url tcp://10.231.0.2:2376 --tls-ca "$c/ca.pem" --tls-cert "$c/cert.pem" --tls-key "$T_WORK/loose.pem"
expect_rc 8
expect_err "has mode 0644"
run engine add b --url tcp://10.231.0.2:2376 --tls-ca "$c/cert.pem" --tls-cert "$c/cert.pem" --tls-key "$c/key.pem"
expect_rc 8
expect_err "is not a CA certificate"
run engine add b --url tcp://10.231.0.2:2376 --tls-ca "$c/ca.pem" --tls-cert "$c/cert.pem" --tls-key "$c/key.pem" --dry-run
expect_rc 0
expect_out "would register engine 'b'"
expect_eq "$(rows)" "0" "refusals and a dry run wrote nothing"

# the store keeps absolute paths, never material, and refuses material whoever writes
(cd "$c" && "$DIVE" engine add b --url tcp://10.231.0.2:2376 --tls-ca ca.pem --tls-cert cert.pem --tls-key key.pem) \
	>"$T_OUT" 2>"$T_ERR" || fail "engine add b"
expect_out "registered engine 'b' at tcp://10.231.0.2:2376 (mutual TLS)"
expect_eq "$(sql "SELECT tls_ca || ' ' || tls_cert || ' ' || tls_key FROM dive.engines WHERE name = 'b'")" \
	"$(realpath "$c/ca.pem") $(realpath "$c/cert.pem") $(realpath "$c/key.pem")"
expect_eq "$(sql "SELECT count(*) FROM dive.engines WHERE url || tls_ca || tls_cert || tls_key LIKE '%BEGIN%'")" "0"
T_CHECKS=$((T_CHECKS + 1))
! psql -qXAt "$DIVE_STATE_URL" -c "INSERT INTO dive.engines (name, url, tls_ca, tls_cert, tls_key) VALUES ('x', 'tcp://h:1', 'a', 'b', '-----BEGIN PRIVATE KEY-----')" >/dev/null 2>&1 || fail "the store took key material"
run engine add b --url tcp://10.231.0.2:2376 --tls-ca "$c/ca.pem" --tls-cert "$c/cert.pem" --tls-key "$c/key.pem"
expect_rc 6
expect_err "exists already"
run engine add lo --url tcp://127.0.0.1:9
expect_rc 0
expect_out "(plain, loopback)"
run engine list --json
expect_rc 0
expect_json
expect_eq "$(json_get '[(e["name"], e["tls"], e["breaker"]) for e in d["engines"]]')" \
	"[('local', False, 'docker:local'), ('b', True, 'docker:b'), ('lo', False, 'docker:lo')]"
run engine show b
expect_rc 0
expect_out "client certificate   'dive', valid until"
expect_out "docker:b is closed"

# an engine that does not answer: exit 7, and only its own breaker counts it
run engine check lo
expect_rc 7
expect_err "engine 'lo' failed its check"
expect_eq "$(sql "SELECT name || ':' || state FROM dive.breakers ORDER BY name")" "docker:lo:closed"
expect_eq "$(sql "SELECT failures FROM dive.breakers WHERE name = 'docker:lo'")" "2"
run engine check nosuch
expect_rc 1
expect_err "no engine 'nosuch' is registered"
expect_err "hint: dive engine list (error 1216 ENGINE_UNKNOWN)"

# placed instances keep their engine
sql "INSERT INTO dive.instances (code, engine) VALUES ('FRA', 'b'), ('POL', 'b')" >/dev/null
run engine remove b
expect_rc 6
expect_err "engine 'b' has 2 instances placed on it (FRA,POL)"
expect_err "hint: dive engine show b (error 1217 ENGINE_IN_USE)"
run engine remove b --dry-run
expect_rc 0
expect_out "would refuse"
T_CHECKS=$((T_CHECKS + 1))
! psql -qXAt "$DIVE_STATE_URL" -c "DELETE FROM dive.engines WHERE name = 'b'" >/dev/null 2>&1 || fail "the foreign key let the engine go"
sql "DELETE FROM dive.instances WHERE code IN ('FRA', 'POL')" >/dev/null
run engine remove lo
expect_rc 0
expect_out "removed engine 'lo'"
expect_eq "$(sql "SELECT count(*) FROM dive.breakers WHERE name = 'docker:lo'")" "0" "the breaker of a removed engine"
run engine remove b
expect_rc 0
expect_eq "$(rows)" "0"
run engine remove b
expect_rc 1
expect_err "no engine 'b' is registered"
done_ok
