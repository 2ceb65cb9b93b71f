#!/usr/bin/env bash
# t0080: the deployment's PKI through the real binary (dive certs) and
# OpenSSL's own tools: files and modes, names and purposes that verify,
# bad input that writes nothing, expiry warnings and errors, rotation of
# leaves and of the CA.
. "$(dirname "$0")/lib.sh"
PKI_BACKDATE=${PKI_BACKDATE:?PKI_BACKDATE must name tests/pki_backdate}
work=$(mktemp -d)
trap 'rm -rf "$work" "$T_OUT" "$T_ERR"' EXIT
export DIVE_INSTANCES_DIR="$work/instances"
pki="$DIVE_INSTANCES_DIR/pki"
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256; }

run certs list
expect_rc 0
expect_out "dive certs init"
run certs issue client dive
expect_rc 1
expect_err "no certificate authority"
expect_err "hint: dive certs init (error 1219 PKI_MISSING)"

run certs init --dry-run
expect_rc 0
expect_out "would create"
T_CHECKS=$((T_CHECKS + 1)); [ ! -e "$pki" ] || fail "a dry run wrote $pki"
run certs init
expect_rc 0
expect_out "created the certificate authority, valid until"
expect_eq "$(stat -c %a "$pki" "$pki/ca/key.pem" "$pki/ca/cert.pem" | tr '\n' ' ')" "700 600 644 "
openssl x509 -in "$pki/ca/cert.pem" -noout -text | grep -q "CA:TRUE" || fail "the CA is not a CA"
run certs init
expect_rc 6
expect_err "a certificate authority exists in"

# leaves: an engine's server certificate names its address; the client's authenticates a client
run certs issue engine b --san 10.231.0.2,engine-b.test
expect_rc 0
expect_out "--tlscacert $pki/engine/b/ca.pem"
run certs issue client dive
expect_rc 0
expect_out "dive engine add NAME --url tcp://HOST:2376 --tls-ca $pki/client/dive/ca.pem"
openssl verify -CAfile "$pki/ca/cert.pem" -purpose sslserver "$pki/engine/b/cert.pem" >/dev/null || fail "engine cert does not verify as a server"
openssl verify -CAfile "$pki/ca/cert.pem" -purpose sslclient "$pki/client/dive/cert.pem" >/dev/null || fail "client cert does not verify as a client"
T_CHECKS=$((T_CHECKS + 1))
! openssl verify -CAfile "$pki/ca/cert.pem" -purpose sslclient "$pki/engine/b/cert.pem" >/dev/null 2>&1 || fail "an engine certificate authenticates clients"
expect_eq "$(openssl x509 -in "$pki/engine/b/cert.pem" -noout -ext subjectAltName | tail -n1 | tr -d ' ')" "IPAddress:10.231.0.2,DNS:engine-b.test"
expect_eq "$(stat -c %a "$pki/engine/b/key.pem" "$pki/client/dive/key.pem" | tr '\n' ' ')" "600 600 "
expect_eq "$(fp "$pki/engine/b/ca.pem")" "$(fp "$pki/ca/cert.pem")" "the leaf's CA copy"
run certs issue engine b --san 10.231.0.2
expect_rc 6
expect_err "dive certs rotate engine/b"

# bad input: exit 2, nothing written
for args in "engine ../x --san 1.2.3.4" "engine B --san 1.2.3.4" "engine c" "engine c --san 1.2.3.4,evil;rm" \
	"engine c --san 1.2.3.4 --days 0" "client c --san 1.2.3.4" "server" "ca x"; do
	# shellcheck disable=SC2086
	run certs issue $args
	expect_rc 2
done
T_CHECKS=$((T_CHECKS + 1)); [ ! -e "$pki/engine/c" ] && [ ! -e "$pki/client/c" ] || fail "bad input wrote files"

# expiry: within the warning period a warning, past it an error naming the remedy
run certs issue engine soon --san 10.0.0.9 --days 10
expect_rc 0
run certs list
expect_rc 0
expect_err "warning: certificate 'engine/soon' expires in "
expect_err "hint: dive certs rotate (error 1215 TLS_CERT_EXPIRING)"
run certs list --warn-days 5
expect_rc 0
T_CHECKS=$((T_CHECKS + 1)); ! grep -q "warning" "$T_ERR" || fail "warned outside the period"
"$PKI_BACKDATE" "$pki" client old -40 -2 >/dev/null || fail "cannot backdate"
run certs list --json
expect_rc 3
expect_json
expect_eq "$(json_get '[c["kind"] + "/" + c["name"] + "=" + c["status"] for c in d["certificates"]]')" \
	"['ca/=valid', 'engine/b=valid', 'engine/soon=expiring', 'client/dive=valid', 'client/old=expired']"
run certs list
expect_rc 3
expect_err "certificate 'client/old' expired on"
expect_err "hint: dive certs rotate (error 1213 TLS_CERT_EXPIRED)"

# rotation: a dry run names what expires and changes nothing
before_old=$(fp "$pki/client/old/cert.pem") before_b=$(fp "$pki/engine/b/cert.pem")
run certs rotate --dry-run
expect_rc 0
expect_out "would rotate engine/soon"
expect_out "would rotate client/old"
T_CHECKS=$((T_CHECKS + 1)); ! grep -q "engine/b\b" "$T_OUT" || fail "the dry run would rotate a valid certificate"
expect_eq "$(fp "$pki/client/old/cert.pem")" "$before_old" "a dry run rotated"
run certs rotate
expect_rc 0
expect_out "rotated client/old"
T_CHECKS=$((T_CHECKS + 1)); [ "$(fp "$pki/client/old/cert.pem")" != "$before_old" ] || fail "old was not rotated"
expect_eq "$(fp "$pki/engine/b/cert.pem")" "$before_b" "a valid certificate was rotated"
expect_eq "$(stat -c %a "$pki/client/old/key.pem")" "600"
run certs list
expect_rc 0
run certs rotate engine/b
expect_rc 0
expect_out "rotated engine/b"
expect_eq "$(openssl x509 -in "$pki/engine/b/cert.pem" -noout -ext subjectAltName | tail -n1 | tr -d ' ')" "IPAddress:10.231.0.2,DNS:engine-b.test"
run certs rotate nosuch
expect_rc 1
expect_err "no engine or client certificate 'nosuch'"

# a new CA: every leaf is issued again under it
ca_before=$(fp "$pki/ca/cert.pem")
run certs rotate --ca
expect_rc 0
expect_out "rotated ca"
T_CHECKS=$((T_CHECKS + 1)); [ "$(fp "$pki/ca/cert.pem")" != "$ca_before" ] || fail "the CA did not change"
for leaf in engine/b engine/soon client/dive client/old; do
	openssl verify -CAfile "$pki/ca/cert.pem" "$pki/$leaf/cert.pem" >/dev/null || fail "$leaf does not chain to the new CA"
	expect_eq "$(fp "$pki/$leaf/ca.pem")" "$(fp "$pki/ca/cert.pem")" "$leaf's CA copy"
done
done_ok
