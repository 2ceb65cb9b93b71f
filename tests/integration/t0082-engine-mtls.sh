#!/usr/bin/env bash
# t0082: a second Docker engine (tests/env/engine-b: its own network
# namespace, dockerd --tlsverify with certificates from `dive certs`) checked
# over mutual TLS: the right material passes; a client certificate from
# another CA, a CA that did not sign the engine, an expired client
# certificate and an engine certificate that does not name the address each
# fail with exit 8, their own code and one line with its remedy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_engine.sh"
engine_setup t0082
engine_b_up

engine_add b
expect_rc 0
run engine check b
expect_rc 0
expect_out "engine 'b': ok in"
expect_out "at tcp://10.231.0.2:2376, mutual TLS verified both ways"
run engine check b --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["tls"], d["api"], d["warnings"]')" "(True, '1.41', [])"
T_CHECKS=$((T_CHECKS + 1)); json_get 'd["version"]' | grep -q '^20\.' || fail "no engine version"

# another deployment's CA: its client certificate is refused by the engine
other="$T_WORK/other"
DIVE_INSTANCES_DIR="$other" "$DIVE" certs init >/dev/null && DIVE_INSTANCES_DIR="$other" "$DIVE" certs issue client dive >/dev/null ||
	fail "cannot make the other PKI"
engine_add wrongclient "$other/pki/client/dive"
expect_rc 0
run engine check wrongclient --json
expect_rc 8
expect_eq "$(json_get 'd["error"]["code"], d["error"]["kind"]')" "(1212, 'tls')"
run engine check wrongclient
expect_rc 8
expect_err "refused dive's client certificate '$other/pki/client/dive/cert.pem'"
expect_err "hint: dive certs issue client dive (error 1212 ENGINE_TLS_REJECTED)"
expect_eq "$(wc -l <"$T_ERR")" "2" "one line and its hint"

# a CA that did not sign the engine's certificate: the engine is not trusted
run engine add wrongca --url "$ENGINE_B_URL" --tls-ca "$other/pki/ca/cert.pem" --tls-cert "$PKI/client/dive/cert.pem" \
	--tls-key "$PKI/client/dive/key.pem"
expect_rc 0
run engine check wrongca
expect_rc 8
expect_err "does not verify against CA '$other/pki/ca/cert.pem'"
expect_err "hint: dive certs issue engine wrongca --san 10.231.0.2 (error 1211 ENGINE_TLS_UNTRUSTED)"

# an expired client certificate of the right CA: its own code, caught before the engine is asked
"$PKI_BACKDATE" "$PKI" client old -30 -1 >/dev/null || fail "cannot backdate"
sql "INSERT INTO dive.engines (name, url, tls_ca, tls_cert, tls_key) VALUES ('expired', '$ENGINE_B_URL',
     '$PKI/ca/cert.pem', '$PKI/client/old/cert.pem', '$PKI/client/old/key.pem')" >/dev/null
run engine check expired --json
expect_rc 8
expect_eq "$(json_get 'd["error"]["code"]')" "1213"
run engine check expired
expect_rc 8
expect_err "dive's client certificate '$PKI/client/old/cert.pem' expired on"
expect_err "hint: dive certs rotate (error 1213 TLS_CERT_EXPIRED)"
run engine add expired2 --url "$ENGINE_B_URL" --tls-ca "$PKI/ca/cert.pem" --tls-cert "$PKI/client/old/cert.pem" \
	--tls-key "$PKI/client/old/key.pem"
expect_rc 8
expect_err "expired on"

# none of these refusals is the engine being down: no breaker counted them
expect_eq "$(sql "SELECT coalesce(sum(failures), 0) FROM dive.breakers")" "0"
# and the right material still passes
run engine check b
expect_rc 0

# an engine certificate without the address dive dials
"$DIVE" certs issue engine elsewhere --san engine-b.invalid >/dev/null || fail "certs issue elsewhere"
"$ENGINE_B" up --ca "$PKI/engine/elsewhere/ca.pem" --cert "$PKI/engine/elsewhere/cert.pem" \
	--key "$PKI/engine/elsewhere/key.pem" >"$T_WORK/engine-b.log" 2>&1 || fail "engine B did not restart"
run engine check b
expect_rc 8
expect_err "does not name the address dive dials"
expect_err "(error 1211 ENGINE_TLS_UNTRUSTED)"
done_ok
