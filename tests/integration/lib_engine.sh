# lib_engine.sh - shared by the scenarios that use a second Docker engine
# (t008x): a PKI of the test's own, engine B in its network namespace
# (tests/env/engine-b), the lock that keeps two such tests apart, and a
# trap that takes everything down whatever happens.  Source after lib.sh.
ENGINE_B=${ENGINE_B:-"$(cd "$(dirname "${BASH_SOURCE[0]}")/../env" && pwd)/engine-b"}
ENGINE_B_LOCK=${ENGINE_B_LOCK:-/var/tmp/dive-engine-b.lock}
ENGINE_B_ADDR=10.231.0.2
ENGINE_B_URL="tcp://$ENGINE_B_ADDR:2376"
PKI_BACKDATE=${PKI_BACKDATE:?PKI_BACKDATE must name tests/pki_backdate}
export MONGOC_DISABLE_SHM=1

# engine_setup TAG: the test's own instances directory (with its PKI) and
# state database; the cleanup trap.
engine_setup() {
	new_state_db "$1"
	T_WORK=$(mktemp -d)
	export DIVE_INSTANCES_DIR="$T_WORK/instances"
	PKI="$DIVE_INSTANCES_DIR/pki"
	trap 'engine_cleanup' EXIT
}

engine_cleanup() {
	if [ -n "${T_ENGINE_UP:-}" ]; then "$ENGINE_B" down >/dev/null 2>&1 || echo "WARNING: engine-b down failed" >&2; fi
	rm -rf "$T_WORK" "$T_OUT" "$T_ERR"
	psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1
}

# engine_b_up: the CA, engine B's certificate for its address, dive's client
# certificate; B started with them (under the lock, held until the test ends).
engine_b_up() {
	exec 9>"$ENGINE_B_LOCK"
	flock -w 900 9 || fail "another test holds $ENGINE_B_LOCK"
	"$DIVE" certs init >/dev/null || fail "certs init"
	"$DIVE" certs issue engine b --san "$ENGINE_B_ADDR" >/dev/null || fail "certs issue engine b"
	"$DIVE" certs issue client dive >/dev/null || fail "certs issue client"
	T_ENGINE_UP=1
	"$ENGINE_B" up --ca "$PKI/engine/b/ca.pem" --cert "$PKI/engine/b/cert.pem" --key "$PKI/engine/b/key.pem" \
		>"$T_WORK/engine-b.log" 2>&1 || { cat "$T_WORK/engine-b.log" >&2; fail "engine B did not start"; }
}

# engine_add NAME [CLIENT_DIR]: register engine B under NAME with the client material of CLIENT_DIR.
engine_add() {
	local dir=${2:-$PKI/client/dive}
	run engine add "$1" --url "$ENGINE_B_URL" --tls-ca "$PKI/ca/cert.pem" --tls-cert "$dir/cert.pem" \
		--tls-key "$dir/key.pem"
}

# on_b ARGS...: the docker CLI on engine B's admin socket (for checks only).
on_b() { "$ENGINE_B" docker "$@"; }
