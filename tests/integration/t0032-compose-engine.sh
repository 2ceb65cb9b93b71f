#!/usr/bin/env bash
# t0032: the wider compose subset reaches the engine as written (issue 19,
# issue 16's resource limits).  A stand-in stack with a private project
# uses merge keys, x- keys, long ports and volumes, mem_limit/cpus/
# pids_limit and deploy.resources, logging, ulimits, capabilities, sysctls,
# extra_hosts and tmpfs; it is applied with bench_apply (deploy's wiring
# without the state store) and every value is read back from dockerd's
# inspect, with Compose's labels beside dive's.  Applying the same file
# again recreates nothing; a changed mem_limit recreates that service only.
# A service with mem_limit 16m that allocates 64m is OOM-killed for real.
. "$(dirname "$0")/lib.sh"
APPLY=${BENCH_APPLY:?BENCH_APPLY must name bench_apply}
export MONGOC_DISABLE_SHM=1
project="dive-t0032-$$"
work=$(mktemp -d)
trap '"$APPLY" --down --project "$project" >/dev/null 2>&1; "$APPLY" --down --project "$project-oom" >/dev/null 2>&1
	rm -rf "$work" "$T_OUT" "$T_ERR"' EXIT

"$DIVE" images build base standin >/dev/null 2>&1 || fail "cannot build the stand-in image"
mkdir -p "$work/conf"

stack() { # stack FILE WEB_MEM_LIMIT
	cat >"$1" <<YML
name: $project
x-common: &common
  image: dive/standin:local
  environment:
    STARTUP_DELAY_MS: "100"
  healthcheck: {test: ["CMD", "/dive/health"], interval: 500ms, timeout: 2s, retries: 3}
  x-note: extension fields are ignored at every level
volumes:
  data: {x-note: ignored}
services:
  web:
    <<: *common
    mem_limit: $2
    memswap_limit: $2
    mem_reservation: 32m
    cpus: 0.5
    pids_limit: 200
    logging: {driver: json-file, options: {max-size: 1m, max-file: "2"}}
    ulimits:
      nofile: {soft: 1024, hard: 2048}
      nproc: 512
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    sysctls: {net.core.somaxconn: 512}
    extra_hosts: ["hub.local:10.9.8.7", "hub.local:10.9.8.6"]
    tmpfs: ["/run/extra:size=1m"]
    ports:
      - {target: 8080, host_ip: 127.0.0.1, protocol: tcp, mode: host, x-note: ignored}
    volumes:
      - {type: volume, source: data, target: /data, volume: {nocopy: true}}
      - {type: bind, source: ./conf, target: /conf, read_only: true, bind: {propagation: rprivate}}
      - {type: tmpfs, target: /scratch, tmpfs: {size: 2m, mode: 1777}}
  worker:
    <<: *common
    deploy:
      resources:
        limits: {memory: 48m, cpus: "0.25", pids: 100}
        reservations: {memory: 16m}
YML
}
ids() { docker ps -aq --no-trunc --filter "label=dive.project=$project" --filter "label=dive.service=$1"; }
# insp SERVICE GO_TEMPLATE
insp() { docker inspect -f "$2" "$(ids "$1")"; }
run_apply() { T_RC=0; "$APPLY" --project "$project" --keep "$1" >"$T_OUT" 2>"$T_ERR" || T_RC=$?; }

stack "$work/stack.yml" 64m
run_apply "$work/stack.yml"
expect_rc 0
web=$(ids web) worker=$(ids worker)
T_CHECKS=$((T_CHECKS + 1)); [ -n "$web" ] && [ -n "$worker" ] || fail "containers missing"

# resources, from the keys and from deploy.resources
expect_eq "$(insp web '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.MemoryReservation}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}')" \
	"67108864 67108864 33554432 500000000 200"
expect_eq "$(insp worker '{{.HostConfig.Memory}} {{.HostConfig.MemoryReservation}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}')" \
	"50331648 16777216 250000000 100"
# logging, ulimits, capabilities, sysctls, extra_hosts
expect_eq "$(insp web '{{.HostConfig.LogConfig.Type}} {{index .HostConfig.LogConfig.Config "max-size"}} {{index .HostConfig.LogConfig.Config "max-file"}}')" \
	"json-file 1m 2"
expect_eq "$(insp web '{{range .HostConfig.Ulimits}}{{.Name}}={{.Soft}}:{{.Hard}} {{end}}')" "nofile=1024:2048 nproc=512:512 "
expect_eq "$(insp web '{{.HostConfig.CapAdd}} {{.HostConfig.CapDrop}}')" "[NET_ADMIN] [MKNOD]"
expect_eq "$(insp web '{{index .HostConfig.Sysctls "net.core.somaxconn"}}')" "512"
expect_eq "$(insp web '{{.HostConfig.ExtraHosts}}')" "[hub.local:10.9.8.7 hub.local:10.9.8.6]"
# and the container really runs with them
# (the limits of the container's first process: Docker 20.10 hands an exec'd
# process the soft or the hard limit, it varies from one exec to the next)
expect_eq "$(docker exec "$web" sh -c "cat /proc/sys/net/core/somaxconn; awk '/Max open files/{print \$4, \$5}' /proc/1/limits")" \
	"$(printf '512\n1024 2048')"
expect_eq "$(docker exec "$web" grep -c hub.local /etc/hosts)" "2"
# ports (long form), volumes (long form: named with nocopy, bind ro with propagation, tmpfs)
expect_eq "$(insp web '{{range $p, $b := .HostConfig.PortBindings}}{{$p}}={{range $b}}{{.HostIp}}:{{.HostPort}}{{end}}{{end}}')" \
	"8080/tcp=127.0.0.1:"
expect_eq "$(insp web '{{.HostConfig.Binds}}')" "[${project}_data:/data:nocopy $work/conf:/conf:ro,rprivate]"
expect_eq "$(insp web '{{index .HostConfig.Tmpfs "/run/extra"}} {{index .HostConfig.Tmpfs "/scratch"}}')" "size=1m size=2097152,mode=1777"
expect_eq "$(docker exec "$web" sh -c 'touch /conf/x 2>/dev/null && echo writable || echo read-only')" "read-only"
expect_eq "$(docker exec "$web" sh -c 'stat -c %a /scratch')" "1777"
# merge keys: the common part reached both services
expect_eq "$(insp worker '{{.Config.Image}} {{range .Config.Env}}{{if eq . "STARTUP_DELAY_MS=100"}}ok{{end}}{{end}}')" "dive/standin:local ok"
# Compose's labels beside dive's
expect_eq "$(insp web '{{index .Config.Labels "com.docker.compose.project"}} {{index .Config.Labels "com.docker.compose.service"}} {{index .Config.Labels "com.docker.compose.container-number"}} {{index .Config.Labels "com.docker.compose.oneoff"}}')" \
	"$project web 1 False"
expect_eq "$(insp web '{{index .Config.Labels "com.docker.compose.config-hash"}}')" "$(insp web '{{index .Config.Labels "dive.config-hash"}}')"
expect_eq "$(insp web '{{index .Config.Labels "dive.project"}}')" "$project"

# the same file again: nothing recreated
run_apply "$work/stack.yml"
expect_rc 0
expect_eq "$(ids web) $(ids worker)" "$web $worker" "an unchanged file recreated a container"

# a changed mem_limit: web is recreated with it, worker is kept
stack "$work/stack.yml" 80m
run_apply "$work/stack.yml"
expect_rc 0
expect_eq "$(ids worker)" "$worker" "worker was recreated"
T_CHECKS=$((T_CHECKS + 1)); [ -n "$(ids web)" ] && [ "$(ids web)" != "$web" ] || fail "web was not recreated"
expect_eq "$(insp web '{{.HostConfig.Memory}}')" "83886080"

# a memory limit is real: 64m into a 16m container is an OOM kill
cat >"$work/oom.yml" <<YML
name: $project-oom
services:
  hog:
    image: dive/standin:local
    mem_limit: 16m
    memswap_limit: 16m
    entrypoint: ["sh", "-c", "head -c 64m /dev/zero | tail >/dev/null"]
    healthcheck: {disable: true}
    restart: "no"
YML
T_RC=0
"$APPLY" --project "$project-oom" --keep "$work/oom.yml" >"$T_OUT" 2>"$T_ERR" || T_RC=$?
hog=$(docker ps -aq --no-trunc --filter "label=dive.project=$project-oom")
T_CHECKS=$((T_CHECKS + 1)); [ -n "$hog" ] || fail "the hog container is missing"
for _ in $(seq 50); do [ "$(docker inspect -f '{{.State.Status}}' "$hog")" = exited ] && break; sleep 0.2; done
expect_eq "$(docker inspect -f '{{.State.OOMKilled}} {{.HostConfig.Memory}}' "$hog")" "true 16777216"

done_ok
