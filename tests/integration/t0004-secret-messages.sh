#!/usr/bin/env bash
# t0004: a password in the state store URL never reaches a message: libpq's
# own parse error quotes the URI (now a usage error, exit 2, with no libpq
# text), and a connection failure is scrubbed of the password libpq was given.
# ctest: beside-stacks (no shared engine object; runs beside the engine chain, tests/CMakeLists.txt)
. "$(dirname "$0")/lib.sh"

SECRET=S3CRETzz-$$
check_clean() {
	T_CHECKS=$((T_CHECKS + 1))
	if grep -qF -- "$SECRET" "$T_OUT" "$T_ERR"; then fail "the password reached the output"; fi
}

# a malformed percent-escape: libpq's message would repeat the whole URI
run --state-url "postgresql://u:$SECRET%zzpw@127.0.0.1:1/x" state show
expect_rc 2
expect_err "not a valid postgresql:// URI"
check_clean
run --state-url "postgresql://u:$SECRET%zzpw@127.0.0.1:1/x" --json state show
expect_rc 2
expect_json
check_clean

# a well-formed URI to nowhere: unavailable, and no password in the reason
run --state-url "postgresql://u:$SECRET@127.0.0.1:1/x" state show
expect_rc 7
expect_err "cannot connect to the state store"
check_clean
run --state-url "postgresql://u:$SECRET@127.0.0.1:1/x" --json lock status
expect_rc 7
expect_json
check_clean

# a real server with the wrong password: the failure names the user, never the password
if [ -n "${DIVE_STATE_URL:-}" ]; then
	hostpart=${DIVE_STATE_URL#*@}
	run --state-url "postgresql://postgres:$SECRET@$hostpart" state show
	expect_rc 7
	expect_err "password authentication failed"
	check_clean
fi
done_ok
