#!/usr/bin/env bash
# t0045: policy distribution with real OPAL (docs/architecture/policy-distribution.md).
# dive/opal-server:local and dive/opal-client:local on a private network: the
# client's OPA gets the seed policy from the server (it trusts no issuer yet);
# policies published the way dive will (two PUT /containers/{id}/archive into
# the server's drop directory) reach the client's OPA without restarting it:
# trusted issuers (data), a new rule, the rule removed again; a tree that does
# not compile is refused on the hub; with the server stopped the client keeps
# deciding, also across its own restart; a publish made while the server was
# down reaches the client once the server is back. Prints the measurements
# (image sizes, start to healthy, publish to client, memory).
. "$(dirname "$0")/lib.sh"
: "${DIVE_OPAL_VENV:?run tests/env/up and source tests/env/.env}"
p="dive-t0045-$$"
net=$p srv=$p-opal-server cli=$p-opal-client
vol=$p-opal cache=$p-opal-cache
sock=${DOCKER_HOST:-unix:///var/run/docker.sock}
sock=${sock#unix://}
work=$(mktemp -d)
cleanup() {
	docker rm -f "$srv" "$cli" "$p-notoken" >/dev/null 2>&1
	docker volume rm "$vol" "$cache" >/dev/null 2>&1
	docker network rm "$net" >/dev/null 2>&1
	rm -rf "$work" "$T_OUT" "$T_ERR"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
measure() { echo "measure: $*"; }
# wait_until SECONDS WHAT CMD...: poll CMD every 0.1 s; fail after SECONDS
wait_until() {
	local deadline=$(($(date +%s) + $1)) what=$2
	shift 2
	until "$@"; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "$what (not within ${deadline}s deadline)"
		sleep 0.1
	done
}
healthy() { docker exec "$1" /dive/health >/dev/null 2>&1; }
host_port() { docker port "$1" "$2" | head -n1 | sed 's/.*://'; }

"$DIVE" images build base opal-server opal-client >"$T_OUT" 2>"$T_ERR" || fail "cannot build the OPAL images"
for i in opal-server opal-client; do
	measure "image dive/$i:local $(($(docker image inspect -f '{{.Size}}' "dive/$i:local") / 1048576)) MiB"
done

# the libraries of the standard library's and the venv's extension modules came along (host-files kind libtree)
docker run --rm --entrypoint /opt/opal/bin/python -e SSL_CERT_FILE=/opt/opal/lib/python3.11/site-packages/certifi/cacert.pem \
	dive/opal-client:local -c \
	'import _ssl, _hashlib, _ctypes, _sqlite3, _lzma, _bz2, _decimal, _uuid, yaml._yaml, uvloop, pygit2, cryptography.hazmat.bindings._rust' \
	>"$T_OUT" 2>"$T_ERR" || fail "an extension module does not load in dive/opal-client:local"
T_CHECKS=$((T_CHECKS + 1))

docker network create "$net" >/dev/null || fail "cannot create network $net"
docker volume create "$vol" >/dev/null && docker volume create "$cache" >/dev/null || fail "cannot create volumes"
master=$(openssl rand -hex 24)
hub="http://localhost:8443/realms/dive-v3-broker-usa"

# --- the hub's OPAL server, seeded with policies/ ------------------------------
start_server() {
	local t0
	t0=$(now_ms)
	docker start "$srv" >/dev/null || fail "cannot start $srv"
	wait_until 90 "opal-server healthy" healthy "$srv"
	srv_port=$(host_port "$srv" 7002)
	measure "opal-server start to healthy $(($(now_ms) - t0)) ms"
}
docker create --name "$srv" --network "$net" --network-alias opal-server -p 127.0.0.1::7002 \
	-e OPAL_AUTH_MASTER_TOKEN="$master" -v "$vol:/var/lib/opal" dive/opal-server:local >/dev/null ||
	fail "cannot create $srv"
start_server
srv_url="http://127.0.0.1:$srv_port"

# authenticated: no token, a wrong master token or a forged client token gets nothing
code() { curl -s -o /dev/null -w '%{http_code}' -m 10 "$@"; }
expect_eq "$(code "$srv_url/policy?path=dive")" 401 "policy without a token"
expect_eq "$(code -X POST -H "Authorization: Bearer not-the-master-token" -H 'Content-Type: application/json' \
	-d '{"type": "client"}' "$srv_url/token")" 401 "token with a wrong master token"
expect_eq "$(code -H "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.e30.AAAA" "$srv_url/policy?path=dive")" 401 "forged token"
client_token=$(curl -sf -m 10 -X POST -H "Authorization: Bearer $master" -H 'Content-Type: application/json' \
	-d '{"type": "client"}' "$srv_url/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])') ||
	fail "cannot mint a client token with the master token"
expect_eq "$(code -H "Authorization: Bearer $client_token" "$srv_url/policy?path=dive")" 200 "policy with a client token"

# a client without a token refuses to start (one line, exit 64)
T_RC=0
docker run --name "$p-notoken" --network "$net" -e OPAL_SERVER_URL=http://opal-server:7002 \
	dive/opal-client:local >"$T_OUT" 2>"$T_ERR" || T_RC=$?
expect_rc 64
expect_err "OPAL_CLIENT_TOKEN is empty"

# --- a spoke's OPAL client: its OPA gets the seed ---------------------------------
docker create --name "$cli" --network "$net" -p 127.0.0.1::8181 -e OPAL_SERVER_URL=http://opal-server:7002 \
	-e OPAL_CLIENT_TOKEN="$client_token" -v "$cache:/var/opal/cache" dive/opal-client:local >/dev/null ||
	fail "cannot create $cli"
start_client() {
	local t0
	t0=$(now_ms)
	docker start "$cli" >/dev/null || fail "cannot start $cli"
	wait_until 90 "opal-client healthy" healthy "$cli"
	opa="http://127.0.0.1:$(host_port "$cli" 8181)"
	measure "opal-client start to healthy ($1) $(($(now_ms) - t0)) ms"
}
start_client "from the server"
opa_get() { curl -sf -m 5 "$opa/v1/data/$1"; }
jq_py() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
revision() { opa_get dive/policy_revision/revision | jq_py 'd.get("result", "")'; }
# decide CLEARANCE: "allow|deny:reasons@revision" for a DEU subject reading a SECRET document releasable to DEU
decide() {
	curl -sf -m 5 -X POST -H 'Content-Type: application/json' "$opa/v1/data/dive/authz/decision" -d "{\"input\": {
	  \"subject\": {\"issuer\": \"$hub\", \"clearance\": \"$1\", \"countryOfAffiliation\": \"DEU\", \"acpCOI\": [\"NATO\"]},
	  \"action\": \"read\",
	  \"resource\": {\"classification\": \"SECRET\", \"releasabilityTo\": [\"DEU\", \"USA\"], \"COI\": []}}}" |
		jq_py '("allow" if d["result"]["allow"] else "deny") + ":" + ",".join(sorted(d["result"]["reasons"])) + "@" + d["result"]["revision"]'
}
seed=$(revision)
case "$seed" in seed-*) ;; *) fail "the client's OPA holds revision '$seed', not the seed" ;; esac
T_CHECKS=$((T_CHECKS + 1))
expect_eq "$(opa_get dive/trusted_issuers | jq_py 'd["result"]')" "[]" "the seed trusts no issuer"
expect_eq "$(decide SECRET)" "deny:issuer not trusted@$seed"
started=$(docker inspect -f '{{.State.StartedAt}}' "$cli")

# OPA takes writes from its OPAL client only
expect_eq "$(code -X PUT -d '["http://evil.example"]' "$opa/v1/data/dive/trusted_issuers")" 401 "a write to the client's OPA"
expect_eq "$(code -X PUT --data-binary 'package x' "$opa/v1/policies/x")" 401 "a policy upload to the client's OPA"

# --- publishing, the way dive will ---------------------------------------------------
put_archive() {
	[ "$(code -X PUT --unix-socket "$sock" -H 'Content-Type: application/x-tar' --data-binary "@$1" \
		"http://d/v1.41/containers/$srv/archive?path=/var/lib/opal/drop")" = 200 ] ||
		fail "PUT /containers/$srv/archive failed"
}
# publish REV DIR: the tree, then REV.ready (the publisher takes a tree once its marker is there)
publish() {
	rm -rf "$work/pub" && mkdir -p "$work/pub" && cp -R "$2" "$work/pub/$1" && : >"$work/pub/$1.ready"
	tar -C "$work/pub" -cf "$work/tree.tar" "$1" && tar -C "$work/pub" -cf "$work/ready.tar" "$1.ready" ||
		fail "cannot pack $2"
	put_archive "$work/tree.tar"
	put_archive "$work/ready.tar"
}
holds() { [ "$(revision 2>/dev/null)" = "$1" ]; }
outcome() { docker exec "$srv" cat "/var/lib/opal/status/$1" 2>/dev/null; }
published() { [ -n "$(outcome "$1")" ]; }
# publish_and_wait REV DIR: publish, and the time until the client's OPA holds REV
publish_and_wait() {
	local t0
	t0=$(now_ms)
	publish "$1" "$2"
	wait_until 30 "the client's OPA holds $1" holds "$1"
	measure "publish $1 to the client's OPA $(($(now_ms) - t0)) ms"
}

# r1: the seed policy and the hub as trusted issuer (what dive publishes at hub up)
mkdir -p "$work/r1"
cp -R "$DIVE_SOURCE_DIR/policies/." "$work/r1/"
printf '["%s"]\n' "$hub" >"$work/r1/dive/trusted_issuers/data.json"
publish_and_wait r1 "$work/r1"
expect_eq "$(decide SECRET)" "allow:@r1"
expect_eq "$(decide UNCLASSIFIED)" "deny:clearance below classification@r1"
commit=$(outcome r1)
case "$commit" in "ok "*) ;; *) fail "status of r1: '$commit'" ;; esac
T_CHECKS=$((T_CHECKS + 1))
expect_eq "$(opa_get system/opal/last_policy_transaction/id | jq_py 'd["result"]')" "${commit#ok }" \
	"the client's last policy transaction is the hub's commit"

# r2: a new rule (the hub freezes reads) changes the decision
cp -R "$work/r1" "$work/r2"
printf 'package dive.authz\n\nreasons contains "reads are frozen by the hub" if input.action == "read"\n' \
	>"$work/r2/dive/freeze.rego"
publish_and_wait r2 "$work/r2"
expect_eq "$(decide SECRET)" "deny:reads are frozen by the hub@r2"

# r3: the rule removed again: the client's OPA drops it
publish_and_wait r3 "$work/r1"
expect_eq "$(decide SECRET)" "allow:@r3"
expect_eq "$(curl -sf -m 5 "$opa/v1/policies" | jq_py 'sorted(p["id"] for p in d["result"] if p["id"].startswith("dive/"))')" \
	"['dive/authz.rego']" "the client's OPA still has dive/freeze.rego"

# a tree that does not compile never leaves the hub
cp -R "$work/r1" "$work/bad"
printf 'package dive.authz\n\nallow if {\n' >"$work/bad/dive/broken.rego"
publish bad-1 "$work/bad"
wait_until 20 "an outcome for bad-1" published bad-1
case "$(outcome bad-1)" in "failed opa build:"*) ;; *) fail "bad-1: '$(outcome bad-1)'" ;; esac
T_CHECKS=$((T_CHECKS + 1))
# and neither does a revision name that is not [A-Za-z0-9._-]
docker exec "$srv" rm -f /var/lib/opal/status/invalid
publish 'bad rev!' "$work/r1"
wait_until 20 "an outcome for 'bad rev!'" published invalid
case "$(outcome invalid)" in "failed revision name"*) ;; *) fail "'bad rev!': '$(outcome invalid)'" ;; esac
T_CHECKS=$((T_CHECKS + 1))
expect_eq "$(revision)" "r3" "a refused tree reached the client"
expect_eq "$(docker inspect -f '{{.State.StartedAt}}' "$cli")" "$started" "the client was restarted"

for c in "$srv" "$cli"; do
	measure "memory $(docker stats --no-stream --format '{{.Name}} {{.MemUsage}}' "$c")"
	measure "rss $c $(docker exec "$c" sh -c 'for s in /proc/[0-9]*/status; do sed -n "s/^VmRSS:\s*//p" "$s"; done' |
		awk '{ kb += $1 } END { printf "%d MiB", kb / 1024 }') (sum over its processes)"
done

# --- the hub away ----------------------------------------------------------------------
docker stop "$srv" >/dev/null || fail "cannot stop $srv"
expect_eq "$(decide SECRET)" "allow:@r3"
T_CHECKS=$((T_CHECKS + 1))
healthy "$cli" || fail "the client turned unhealthy when the hub went away"
# ... also across the client's own restart (its backup in /var/opal/cache)
docker stop "$cli" >/dev/null || fail "cannot stop $cli"
start_client "from its backup, hub down"
expect_eq "$(decide SECRET)" "allow:@r3"
# a publish while the server is down waits in its volume; the client catches up when it is back
mkdir -p "$work/r4"
cp -R "$work/r1/." "$work/r4/"
printf '["%s", "http://localhost:8453/realms/dive-v3-broker-deu"]\n' "$hub" >"$work/r4/dive/trusted_issuers/data.json"
publish r4 "$work/r4"
t0=$(now_ms)
start_server
wait_until 60 "the client caught up with r4" holds r4
measure "server start to the client holding r4 $(($(now_ms) - t0)) ms"
expect_eq "$(opa_get dive/trusted_issuers | jq_py 'len(d["result"])')" 2
expect_eq "$(decide SECRET)" "allow:@r4"

done_ok
