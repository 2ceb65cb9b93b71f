# shellcheck shell=bash disable=SC2034
# Shared helpers for tests/env/up and tests/env/down. Sourced, not executed.

ENV_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$ENV_DIR/../.." && pwd)"
CACHE="${DIVE_TESTENV_CACHE:-/var/cache/dive-testenv}"
RUN="${DIVE_TESTENV_RUN:-/var/tmp/dive-testenv}"

ALL_SERVERS=(dockerd postgres ferretdb opa keycloak vault image opal prometheus)

# Fixed ports, loopback only.
PG_PORT=55432
MONGO_PORT=57017
KC_HTTP_PORT=58080
KC_MGMT_PORT=59000
OPA_PORT=58181
PROM_PORT=59090
VAULT_PORT=58200       # plain HTTP (loopback)
VAULT_TLS_PORT=58201   # the same server over TLS, certificate from the test CA
VAULT_CLUSTER_PORT=58203  # and 58204: Vault's cluster listeners (unused by one node, but bound)
DOCKER_SOCK=/var/run/docker.sock
BASE_IMAGE_REPO=dive/base
BASE_IMAGE_TAG=local

PGBIN=/usr/lib/postgresql/15/bin

# Versions (see README.md for why).
FERRETDB_VERSION=v1.24.0   # pinned in tools/ferretdb/go.mod
VAULT_VERSION=v1.14.2      # pinned in tools/vault/go.mod
OPA_VERSION="${DIVE_TESTENV_OPA_VERSION:-v1.22.3}"
KC26_VERSION=26.7.3        # needs Java 21+ (runs on Temurin 25)
KC25_VERSION=25.0.6        # last line that still runs on Java 17
PLAYWRIGHT_VERSION=1.65.1  # playwright-core from npm; drives Debian's chromium

export PATH="/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

# Which program each pid file must still be, as an extended regexp matched
# against /proc/<pid>/cmdline (NULs turned into spaces).
expected_cmd() {
  case "$1" in
    dockerd)  echo '(^|/)dockerd( |$)' ;;
    postgres) echo '(^|/)postgres( |$)' ;;
    ferretdb) echo '(^|/)ferretdb .*-listen-addr' ;;
    opa)      echo '(^|/)opa run ' ;;
    prometheus) echo '(^|/)prometheus .*--web.listen-address' ;;
    vault)    echo '(^|/)vault server ' ;;
    keycloak) echo 'io\.quarkus\.bootstrap\.runner\.QuarkusEntryPoint|/kc\.sh' ;;
    *)        return 1 ;;
  esac
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

cmdline_of() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

# is_cmd PID REGEX: the process's command line matches REGEX.
is_cmd() {
  local c
  c="$(cmdline_of "$1")"
  [[ -n "$c" && "$c" =~ $2 ]]
}

# sid_of PID: session id (field 6 of /proc/PID/stat, parsed after the comm).
sid_of() {
  local s
  s="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  s="${s##*) }"
  # fields now: state ppid pgrp session ...
  # shellcheck disable=SC2086
  set -- $s
  echo "$4"
}

# read_pid NAME: prints the pid recorded in RUN/NAME.pid, if that process is
# alive and is still the expected program; returns 1 otherwise.
read_pid() {
  local name="$1" f="$RUN/$1.pid" pid pat
  [[ -f "$f" ]] || return 1
  pid="$(head -n1 "$f" 2>/dev/null | tr -dc '0-9')"
  [[ -n "$pid" ]] || return 1
  [[ -d "/proc/$pid" ]] || return 1
  pat="$(expected_cmd "$name")" || return 1
  is_cmd "$pid" "$pat" || return 1
  echo "$pid"
}

# alive PID: process exists and is not a zombie.
alive() {
  local st
  [[ -n "$1" && -r "/proc/$1/stat" ]] || return 1
  st="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  st="${st##*) }"
  [[ "${st:0:1}" != "Z" ]]
}

# wait_gone TIMEOUT PID...: true once none of PIDs is alive.
wait_gone() {
  local timeout="$1" p any
  shift
  local deadline=$(( $(date +%s) + timeout ))
  while true; do
    any=""
    for p in "$@"; do alive "$p" && any=1; done
    [[ -n "$any" ]] || return 0
    [[ "$(date +%s)" -lt "$deadline" ]] || return 1
    sleep 0.2
  done
}

session_members() { # session_members SID: pids (not zombies) in session SID
  ps -e -o pid=,sid=,stat= | awk -v s="$1" '$2 == s && $3 !~ /^Z/ { print $1 }'
}

# clean_session NAME SID: TERM, then KILL, whatever is left in SID.
clean_session() {
  local name="$1" sid="$2" mysid left
  [[ "$sid" =~ ^[0-9]+$ && "$sid" -gt 1 ]] || return 0
  mysid="$(sid_of $$ || true)"
  [[ "$sid" != "$mysid" ]] || return 0
  # The session leader (pid == sid) must be gone or still be NAME's program;
  # otherwise the number belongs to somebody else's session.
  if alive "$sid" && ! is_cmd "$sid" "$(expected_cmd "$name")"; then return 0; fi
  left="$(session_members "$sid" | tr '\n' ' ')"
  [[ -n "${left// /}" ]] || return 0
  echo "$name: stopping leftover processes of its session: $left"
  # shellcheck disable=SC2086
  kill -s TERM -- $left 2>/dev/null || true
  # shellcheck disable=SC2086
  if ! wait_gone 15 $left; then
    left="$(session_members "$sid" | tr '\n' ' ')"
    # shellcheck disable=SC2086
    [[ -z "${left// /}" ]] || kill -s KILL -- $left 2>/dev/null || true
  fi
}

# True if the docker socket answers /_ping with OK.
docker_ping() {
  [[ -S "$DOCKER_SOCK" ]] || return 1
  [[ "$(curl -s -m 3 --unix-socket "$DOCKER_SOCK" http://d/_ping 2>/dev/null)" == "OK" ]]
}

# in_list X LIST...: true if X is one of LIST.
in_list() {
  local x="$1"; shift
  local y
  for y in "$@"; do [[ "$x" == "$y" ]] && return 0; done
  return 1
}

# parse_servers ARGS...: sets SELECTED (array) in canonical order.
parse_servers() {
  local a
  SELECTED=()
  for a in "$@"; do
    case "$a" in
      -h|--help) usage; exit 0 ;;
    esac
    if ! in_list "$a" "${ALL_SERVERS[@]}"; then
      echo "$(basename "$0"): unknown server '$a' (known: ${ALL_SERVERS[*]})" >&2
      exit 2
    fi
  done
  for a in "${ALL_SERVERS[@]}"; do
    if [[ $# -eq 0 ]] || in_list "$a" "$@"; then SELECTED+=("$a"); fi
  done
}

selected() { in_list "$1" "${SELECTED[@]}"; }

# install_list: the Debian packages tests/env/up installs, one per line:
# tests/env/packages and the SOURCE column of every image recipe's
# host-files (images/*/host-files, env: sources excluded), unique.
install_list() {
  { grep -hv '^[[:space:]]*\(#\|$\)' "$ENV_DIR/packages" | awk '{ print $1 }'
    cat "$REPO_DIR"/images/*/host-files | sed 's/#.*//' | awk 'NF >= 3 && $2 !~ /^env:/ { print $2 }'
  } | sort -u
}
