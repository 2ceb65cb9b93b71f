#!/usr/bin/env bash
# t0011: every usage error exits 2 before any side effect (docs/exit-codes.md).
#
# Every verb of `dive --help`, each with every bad value its options can be
# given (found from its own --help, so a new option is covered the day it is
# added), the bad values only a row knows, and bad global options and
# environment settings, against:
#
#   - a state store that records every connection (a TCP listener where the
#     PostgreSQL of --state-url should be): none may be made, so nothing is
#     migrated and no lock is taken;
#   - a Docker engine that records every connection (a unix socket in
#     DOCKER_HOST): none may be made, so no container is started;
#   - an empty instances directory: no secret file may be written (hub up
#     with no store configured would generate the hub's secrets and start
#     its PostgreSQL: the bootstrap must wait for valid input);
#   - for a few rows, a real empty database: no dive schema may appear.
#
# Each row must exit 2 with a "dive: ..." line and print nothing on stdout
# (with --json: the refusal document).
# ctest: beside-stacks (no shared engine object; runs beside the engine chain, tests/CMakeLists.txt)
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
rec_pid=
cleanup() {
	[ -n "$rec_pid" ] && kill "$rec_pid" 2>/dev/null
	rm -rf "$work" "$T_OUT" "$T_ERR"
	[ -n "${T_DB:-}" ] && psql -qX "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_DB WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT

# The recorder: a unix socket for the engine and a TCP port for the store;
# each connection is one line in $work/touched, then closed.
python3 - "$work" >"$work/port" 2>"$work/recorder.err" <<'PY' &
import os, select, socket, sys
work = sys.argv[1]
eng = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
eng.bind(os.path.join(work, "docker.sock"))
eng.listen(16)
pg = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
pg.bind(("127.0.0.1", 0))
pg.listen(16)
print(pg.getsockname()[1], flush=True)
names = {eng: "docker engine", pg: "state store"}
while True:
    ready, _, _ = select.select([eng, pg], [], [])
    for s in ready:
        c, _ = s.accept()
        with open(os.path.join(work, "touched"), "a") as f:
            f.write(names[s] + "\n")
        c.close()
PY
rec_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && [ -S "$work/docker.sock" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "the recorder did not start: $(cat "$work/recorder.err")" >&2; exit 1; }
store="postgresql://dive:pw@127.0.0.1:$(cat "$work/port")/dive_state"
mkdir -p "$work/instances" "$work/legacy"

state_base=${DIVE_STATE_URL:?run tests/env/up and source tests/env/.env}
unset DIVE_STATE_URL DIVE_RETRY DIVE_BREAKER DIVE_SECRETS DIVE_FEDERATION_STORE_URL
export DOCKER_HOST="unix://$work/docker.sock"
export DIVE_INSTANCES_DIR="$work/instances"

rows=0
# bad NAME ARGS...: dive ARGS must refuse with exit 2 and touch nothing
bad() {
	local name=$1 touched
	shift
	rows=$((rows + 1))
	T_RC=0
	"$DIVE" "$@" </dev/null >"$T_OUT" 2>"$T_ERR" || T_RC=$?
	touched=$(sort -u "$work/touched" 2>/dev/null | paste -sd, -)
	rm -f "$work/touched"
	T_CHECKS=$((T_CHECKS + 1))
	[ "$T_RC" -eq 2 ] || fail "[$name] dive $*: exit $T_RC, expected 2"
	[ -z "$touched" ] || fail "[$name] dive $*: exit 2 but the $touched was contacted first"
	[ -z "$(find "$work/instances" -mindepth 1 | head -1)" ] || fail "[$name] dive $*: wrote $(find "$work/instances" -mindepth 1 | head -1)"
	[ ! -s "$T_OUT" ] || grep -qx '{"ok":false,"exit":2,"error":{"kind":"usage",.*}}' "$T_OUT" ||
		fail "[$name] dive $*: printed on stdout, and not the --json refusal"
	head -1 "$T_ERR" | grep -q '^dive: ' || fail "[$name] dive $*: no 'dive: ' line"
	! grep -q 'S3cretPw' "$T_ERR" || fail "[$name] dive $*: the password of a URL reached stderr"
	! grep -q $'\033' "$T_ERR" || fail "[$name] dive $*: an escape sequence reached stderr"
}

# A valid invocation of every verb, so that the bad value is what is refused.
# A verb that is not here fails the test: add its row.
declare -A base=(
	["hub up"]="hub up"
	["hub down"]="hub down --yes"
	["hub status"]="hub status"
	["hub verify"]="hub verify"
	["images copy"]="images copy --to b standin"
	["policy publish"]="policy publish"
	["policy status"]="policy status"
	["serve"]="serve"
	["metrics"]="metrics"
	["engine add"]="engine add b --url tcp://127.0.0.1:2375"
	["engine list"]="engine list"
	["engine show"]="engine show b"
	["engine check"]="engine check b"
	["engine remove"]="engine remove b"
	["certs init"]="certs init"
	["certs issue"]="certs issue client"
	["certs list"]="certs list"
	["certs rotate"]="certs rotate"
	["spoke deploy"]="spoke deploy DEU"
	["spoke up"]="spoke up DEU"
	["spoke verify"]="spoke verify DEU"
	["spoke down"]="spoke down DEU --yes"
	["spoke status"]="spoke status DEU"
	["spoke list"]="spoke list"
	["spoke ports"]="spoke ports DEU"
	["spoke clean"]="spoke clean DEU --yes"
	["spoke list-countries"]="spoke list-countries"
	["spoke init"]="spoke init DEU"
	["spoke config"]="spoke config DEU"
	["spoke logs"]="spoke logs DEU keycloak --tail 5"
	["hub logs"]="hub logs keycloak --tail 5"
	["federation register"]="federation register DEU"
	["federation unregister"]="federation unregister DEU --yes"
	["federation approve"]="federation approve DEU"
	["federation suspend"]="federation suspend DEU"
	["federation status"]="federation status DEU"
	["federation audit"]="federation audit"
	["federation reconcile"]="federation reconcile"
	["federation idps"]="federation idps"
	["state show"]="state show DEU"
	["state history"]="state history DEU"
	["state flow"]="state flow --mermaid"
	["runs list"]="runs list DEU --limit 5"
	["runs show"]="runs show 1"
	["state import-legacy"]="state import-legacy $work/legacy"
	["lock status"]="lock status DEU"
	["lock hold"]="lock hold DEU --for 5"
	["lock release"]="lock release DEU --force"
	["db migrate"]="db migrate"
	["db status"]="db status"
	["breaker list"]="breaker list"
	["breaker show"]="breaker show docker"
	["breaker open"]="breaker open docker"
	["breaker close"]="breaker close docker"
	["breaker reset"]="breaker reset docker"
	["breaker disable"]="breaker disable docker"
	["errors list"]="errors list"
	["errors explain"]="errors explain 1107"
	["errors doc"]="errors doc"
	["errors recent"]="errors recent"
	["graph"]="graph hub"
	["images build"]="images build"
	["images list"]="images list"
	["secrets list"]="secrets list DEU"
	["secrets rotate"]="secrets rotate DEU KEYCLOAK_ADMIN_PASSWORD"
	["secrets import"]="secrets import DEU --from $work/export"
	["version"]="version"
	["help"]="help"
	["completion"]="completion bash"
)

# Every verb, from the generated help.
verbs=()
while read -r group; do
	if "$DIVE" "$group" --help | grep -q '^verbs:'; then
		while read -r verb; do
			verbs+=("$group $verb")
		done < <("$DIVE" "$group" --help | sed -n '/^verbs:/,/^$/{/^  [a-z]/{s/^  \([a-z-]*\).*/\1/;p}}')
	else
		verbs+=("$group")
	fi
done < <("$DIVE" --help | sed -n '/^commands:/,/^$/{/^  [a-z]/{s/^  \([a-z-]*\).*/\1/;p}}')
T_CHECKS=$((T_CHECKS + 1))
[ "${#verbs[@]}" -ge 40 ] || fail "only ${#verbs[@]} verbs found in the help"

# "NAME ARG" for each option in a verb's help (ARG empty for a switch); the
# left column is 28 characters wide (src/cli/help.c)
opts_of() {
	awk '/^options:/ { o = 1; next } o && /^$/ { exit }
	     o { n = split(substr($0, 3, 28), t, " ")
		 for (i = 1; i <= n; i++) if (t[i] ~ /^--/) { print substr(t[i], 3), (i < n ? t[i + 1] : ""); break } }'
}

long=$(head -c 5000 /dev/zero | tr '\0' x)
esc=$'ok\033[2Jwiped'
for v in "${verbs[@]}"; do
	[ -n "${base[$v]:-}" ] || fail "verb '$v' has no row in t0011: add a valid invocation to base"
	read -ra b <<<"${base[$v]}"
	g=(--state-url "$store")

	# global options and the environment, for every verb
	bad "$v: docker host" "${g[@]}" --docker-host 'tcp://[::1' "${b[@]}"
	bad "$v: docker host" "${g[@]}" --docker-host $'unix:///run/docker.sock\nHost: x' "${b[@]}"
	bad "$v: docker host" "${g[@]}" --docker-host 'tcp://admin:S3cretPw@127.0.0.1:2375' "${b[@]}"
	bad "$v: instances dir" "${g[@]}" --instances-dir "$work/i$esc" "${b[@]}"
	bad "$v: unknown option" "${g[@]}" "${b[@]}" --no-such-option
	DIVE_BREAKER=garbage bad "$v: DIVE_BREAKER" "${g[@]}" "${b[@]}"
	DIVE_RETRY=docker.attempts=0 bad "$v: DIVE_RETRY" "${g[@]}" "${b[@]}"
	DIVE_RETRY="docker.jitter=$esc" bad "$v: DIVE_RETRY" "${g[@]}" "${b[@]}"
	DIVE_SECRETS=vault bad "$v: DIVE_SECRETS" "${g[@]}" "${b[@]}"
	DOCKER_HOST='tcp://u:S3cretPw@h' bad "$v: DOCKER_HOST" "${g[@]}" "${b[@]}"

	# every option of the verb, from its help: a bool with a value, a
	# number that is not one or is out of any bound, text with a control
	# character or longer than any limit
	while read -r opt argname; do
		if [ -z "$argname" ]; then
			bad "$v: --$opt" "${g[@]}" "${b[@]}" "--$opt=yes"
		elif [[ "$argname" =~ ^(SECONDS|N)$ ]]; then
			bad "$v: --$opt" "${g[@]}" "${b[@]}" "--$opt" x
			bad "$v: --$opt" "${g[@]}" "${b[@]}" "--$opt" -1
			bad "$v: --$opt" "${g[@]}" "${b[@]}" "--$opt" 99999999
		else
			bad "$v: --$opt" "${g[@]}" "${b[@]}" "--$opt" "$esc"
			bad "$v: --$opt" "${g[@]}" "${b[@]}" "--$opt" "$long"
		fi
	done < <("$DIVE" $v --help | opts_of)
done

# What only a row knows.
g=(--state-url "$store")
for v in "hub up" "spoke deploy DEU" "spoke up DEU"; do
	read -ra b <<<"$v"
	bad "rollback" "${g[@]}" "${b[@]}" --rollback bogus
	bad "from-phase" "${g[@]}" "${b[@]}" --from-phase bogus
	bad "parallel" "${g[@]}" "${b[@]}" --parallel 0
	bad "parallel" "${g[@]}" "${b[@]}" --parallel 65
done
bad "the issue's line" --state-url postgresql://127.0.0.1:1/x hub up --rollback bogus
bad "lock message" "${g[@]}" lock hold DEU --for 5 --message "$(head -c 501 /dev/zero | tr '\0' m)"
bad "lock for" "${g[@]}" lock hold DEU
bad "lock for" "${g[@]}" lock hold DEU --for 0
bad "lock force" "${g[@]}" lock release DEU
bad "reason" "${g[@]}" federation suspend DEU --reason "$(head -c 257 /dev/zero | tr '\0' r)"
bad "reason" "${g[@]}" federation unregister DEU --yes --reason $'gone\nforged line'
for v in show open close reset disable; do
	bad "breaker name" "${g[@]}" breaker "$v" '!!'
	bad "breaker name" "${g[@]}" breaker "$v" "mongo'; DROP TABLE x; --"
done
bad "image name" "${g[@]}" images build nosuch
bad "image name" "${g[@]}" images build postgres redis nosuch
bad "error code" "${g[@]}" errors recent NOPE
bad "error code" "${g[@]}" errors explain NOPE
bad "errors doc" "${g[@]}" --json errors doc
bad "legacy dir" "${g[@]}" state import-legacy "$work/nonexistent"
for v in "spoke deploy" "spoke up" "spoke down" "spoke clean" "federation register" "federation approve" \
	"federation suspend" "federation status"; do
	read -ra b <<<"$v"
	bad "spoke code" "${g[@]}" "${b[@]}" XYZ
	bad "spoke code" "${g[@]}" "${b[@]}" USA
done
# the instance file: keys and values of spoke init, the file of every spoke verb (issue 21)
bad "init key" "${g[@]}" spoke init DEU nosuch=1
bad "init key" "${g[@]}" spoke init DEU display_name
bad "init value" "${g[@]}" spoke init DEU federation.trust_level=total
bad "init secret" "${g[@]}" spoke init DEU hub_url=http://admin:S3cretPw@hub:4000
bad "init engine" "${g[@]}" spoke init DEU --engine B_ad
bad "init twice" "${g[@]}" spoke init DEU --hub-url http://a:1 hub_url=http://b:1
bad "hub url" "${g[@]}" spoke deploy DEU --hub-url ftp://hub
bad "hub url" "${g[@]}" spoke config DEU --hub-url http://u:S3cretPw@hub:1
DIVE_HUB_URL='http://u:S3cretPw@hub:1' bad "DIVE_HUB_URL" "${g[@]}" spoke deploy DEU
bad "config" "${g[@]}" spoke config
for v in "spoke init" "spoke config"; do
	read -ra b <<<"$v"
	bad "spoke code" "${g[@]}" "${b[@]}" XYZ
	bad "spoke code" "${g[@]}" "${b[@]}" USA
done

for v in "state show" "state history" "lock status" "lock release --force" "errors recent"; do
	read -ra b <<<"$v"
	bad "code" "${g[@]}" "${b[@]:0:2}" XYZ "${b[@]:2}"
done
bad "code" "${g[@]}" lock hold XYZ --for 5
# destructive without --yes and without a terminal to ask on
for v in "hub down" "spoke down DEU" "spoke clean DEU" "federation unregister DEU"; do
	read -ra b <<<"$v"
	bad "--yes" "${g[@]}" "${b[@]}"
done
# No store configured: hub up would start the hub's own; bad input starts nothing.
for args in "--rollback bogus" "--from-phase nowhere" "--parallel 0" "--lock-wait -3"; do
	read -ra a <<<"$args"
	bad "bootstrap" hub up "${a[@]}"
	bad "bootstrap" --dry-run hub up "${a[@]}"
done

# A real empty database: no migration runs before the input is valid.
DIVE_STATE_URL=$state_base new_state_db t0011
trap cleanup EXIT
for args in "hub up --rollback bogus" "spoke deploy DEU --from-phase bogus" "lock hold DEU --message $esc --for 5" \
	"breaker open !!" "errors recent NOPE" "state import-legacy $work/nonexistent" "federation suspend DEU --reason $long"; do
	read -ra a <<<"$args"
	bad "real store" --state-url "$DIVE_STATE_URL" "${a[@]}"
done
expect_eq "$(sql "SELECT coalesce(to_regclass('dive.schema_migrations')::text, 'none')")" "none" \
	"no migration ran before the input was checked"

echo "ok: $rows refusals, ${#verbs[@]} verbs"
done_ok
