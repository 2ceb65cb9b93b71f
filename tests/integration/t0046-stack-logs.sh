#!/usr/bin/env bash
# t0046: dive spoke logs / dive hub logs on the hub and DEU that t0040 left
# deployed (its number puts it right after t0040 in the engine chain of tests/CMakeLists.txt; it
# deploys nothing): Compose's labels beside dive's on DEU's keycloak;
# Keycloak's own lines with the service prefix, every
# service merged in time order, --json, --since, and --follow streaming a
# line written into the container until SIGINT, then exit 130.
. "$(dirname "$0")/lib.sh"
export DIVE_INSTANCES_DIR=${DIVE_INSTANCES_DIR:-$DIVE_SOURCE_DIR/instances}

kc=$(docker ps -q --filter label=dive.project=dive-spoke-deu --filter label=dive.service=keycloak)
[ -n "$kc" ] || { echo "FAIL: DEU's keycloak is not running: t0046 reads the stacks t0040 leaves deployed" >&2; exit 1; }
hub_kc=$(docker ps -q --filter label=dive.project=dive-hub --filter label=dive.service=keycloak)
[ -n "$hub_kc" ] || { echo "FAIL: the hub's keycloak is not running (t0040 leaves it deployed)" >&2; exit 1; }

# Compose's labels beside dive's on a container of the deployed spoke (for
# reading with docker compose ls/ps/logs; dive's own labels stay the source)
lab() { docker inspect -f "{{index .Config.Labels \"$1\"}}" "$kc"; }
expect_eq "$(lab com.docker.compose.project) $(lab com.docker.compose.service) $(lab com.docker.compose.container-number) $(lab com.docker.compose.oneoff)" \
	"dive-spoke-deu keycloak 1 False" "compose labels of DEU's keycloak"
expect_eq "$(lab com.docker.compose.config-hash)" "$(lab dive.config-hash)" "compose config-hash is dive's"
expect_eq "$(lab dive.project) $(lab dive.service)" "dive-spoke-deu keycloak" "dive's own labels"

# Keycloak's last 20 lines, each after its service, as docker has them
run spoke logs DEU keycloak --tail 20
expect_rc 0
expect_eq "$(wc -l <"$T_OUT")" 20 "lines of --tail 20"
expect_eq "$(grep -c '^keycloak | ' "$T_OUT")" 20 "lines with the keycloak prefix"
T_CHECKS=$((T_CHECKS + 1))
diff <(sed 's/^keycloak | //' "$T_OUT" | sort) <(docker logs --tail 20 "$kc" 2>&1 | tr '\t' ' ' | sort) >/dev/null ||
	fail "spoke logs DEU keycloak --tail 20 differs from docker logs --tail 20"
T_CHECKS=$((T_CHECKS + 1))
docker logs "$kc" 2>&1 | grep -qi keycloak || fail "docker logs of keycloak does not name Keycloak"

# every service, prefixes aligned, in time order
run spoke logs DEU --tail 3 --timestamps
expect_rc 0
T_CHECKS=$((T_CHECKS + 1))
python3 - "$T_OUT" <<'PY' || fail "spoke logs DEU: not every service, or not in time order"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
svcs, times = set(), []
for l in lines:
    m = re.match(r"^(\S+)\s* \| (\S+) ", l)
    assert m, l
    svcs.add(m.group(1)); times.append(m.group(2))
assert {"keycloak", "postgres", "backend"} <= svcs, svcs
assert times == sorted(times), "not in time order"
assert len({l.index("|") for l in lines}) == 1, "prefixes not aligned"
PY

run spoke logs DEU keycloak --tail 5 --json
expect_rc 0
expect_json
expect_eq "$(json_get 'len(d["lines"])')" 5
expect_eq "$(json_get '{l["service"] for l in d["lines"]}')" "{'keycloak'}"

run hub logs keycloak --tail 5
expect_rc 0
expect_eq "$(grep -c '^keycloak | ' "$T_OUT")" 5 "hub keycloak lines"

# --since and --tail together
run spoke logs DEU keycloak --since 1d --tail 2
expect_rc 0
expect_eq "$(wc -l <"$T_OUT")" 2

# bad input: exit 2 and one line
run spoke logs DEU nosuch
expect_rc 2
expect_err "no service 'nosuch' in dive-spoke-deu (services: "
run spoke logs DEU --since 5x
expect_rc 2
expect_err "--since takes a duration"
run spoke logs DEU --follow --json
expect_rc 2
expect_err "exclude each other"

# --follow: a line written into the container shows up, SIGINT ends it with 130
T_CHECKS=$((T_CHECKS + 1))
python3 - "$DIVE" "$kc" <<'PY' || fail "spoke logs --follow"
import os, select, signal, subprocess, sys, time
dive, kc = sys.argv[1], sys.argv[2]
marker = "t0046-marker-%d" % os.getpid()
p = subprocess.Popen([dive, "spoke", "logs", "DEU", "keycloak", "--follow", "--tail", "1"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
buf = b""
def read_for(seconds, want):
    global buf
    deadline = time.time() + seconds
    while time.time() < deadline and want not in buf:
        r, _, _ = select.select([p.stdout], [], [], 0.2)
        if r:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
    return want in buf
assert read_for(20, b"\n") and buf.startswith(b"keycloak | "), buf[:200]
subprocess.run(["docker", "exec", kc, "sh", "-c", "echo %s > /proc/1/fd/1" % marker], check=True)
seen = read_for(20, ("keycloak | " + marker).encode())
assert seen, "the marker did not appear: %r" % buf[-500:]
assert buf.count(b"\n") >= 2
assert p.poll() is None, "--follow ended by itself"
p.send_signal(signal.SIGINT)
rc = p.wait(timeout=10)
assert rc == 130, rc
print("follow: marker seen, SIGINT -> 130")
PY

done_ok
