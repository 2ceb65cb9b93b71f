#!/usr/bin/env bash
# t0010: db migrate, state show/history, lock hold/status/release through the
# real binary against the real PostgreSQL; bad codes touch nothing.
# ctest: beside-stacks (no shared engine object; runs beside the engine chain, tests/CMakeLists.txt)
. "$(dirname "$0")/lib.sh"
new_state_db t0010

run db migrate
expect_rc 0
expect_out "applied 0001_state.sql"
n=$(sql "SELECT count(*) FROM dive.schema_migrations")
run db migrate
expect_rc 0
expect_out "schema is up to date"
expect_eq "$(sql "SELECT count(*) FROM dive.schema_migrations")" "$n" "second migrate changed nothing"

run db status --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["consistent"]')" "True"

# an edited applied migration is refused
mig=$(mktemp -d)
cp "$DIVE_SOURCE_DIR"/migrations/*.sql "$mig"/
echo "-- edited" >>"$mig/0002_runs.sql"
DIVE_MIGRATIONS_DIR=$mig run db migrate
expect_rc 6
expect_err "0002_runs.sql' was changed after it was applied"
DIVE_MIGRATIONS_DIR=$mig run state show
expect_rc 6
rm -rf "$mig"

run state show DEU --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["instances"][0]["state"]')" "UNKNOWN"

# hostile codes: exit 2, database untouched
before=$(sql "SELECT count(*) FROM dive.instances")
for bad in "DEU'; DROP TABLE x; --" "XYZ" "de" "DEUU" ""; do
	run state show "$bad"
	expect_rc 2
	run lock hold "$bad" --for 1
	expect_rc 2
done
expect_eq "$(sql "SELECT count(*) FROM dive.instances")" "$before" "bad codes wrote nothing"
expect_eq "$(sql "SELECT to_regclass('dive.instances') IS NOT NULL")" "t"

# a maintenance hold excludes everyone else, who sees the holder and message
"$DIVE" lock hold DEU --for 30 --message "kernel patching" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do
	[ "$(sql "SELECT count(*) FROM dive.live_locks")" = 1 ] && break
	sleep 0.1
done
start=$(date +%s%N)
run lock hold DEU --for 1 --lock-wait 0
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 4
expect_err "kernel patching"
expect_err "pid $holder"
[ "$elapsed_ms" -lt 1000 ] || fail "lock-held exit took ${elapsed_ms}ms"
run lock status DEU --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["locks"][0]["pid"]')" "$holder"
expect_eq "$(json_get 'd["locks"][0]["message"]')" "kernel patching"

# another code is free meanwhile
run lock hold FRA --for 1
expect_rc 0

# release needs --force and says whose lock it was
run lock release DEU
expect_rc 2
run lock release DEU --force
expect_rc 0
expect_out "pid $holder"
wait "$holder" || true
run lock status DEU --json
expect_eq "$(json_get 'len(d["locks"])')" "0"

# kill -9 of a holder frees the lock at once
"$DIVE" lock hold ESP --for 60 >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do
	[ "$(sql "SELECT count(*) FROM dive.live_locks WHERE name = 'instance:ESP'")" = 1 ] && break
	sleep 0.1
done
kill -9 "$holder"; wait "$holder" 2>/dev/null || true
for _ in $(seq 20); do
	[ "$(sql "SELECT count(*) FROM dive.live_locks WHERE name = 'instance:ESP'")" = 0 ] && break
	sleep 0.05
done
run lock hold ESP --for 1 --lock-wait 0
expect_rc 0

# an in-progress state with no live lock is reported INTERRUPTED
sql "INSERT INTO dive.instances (code) VALUES ('ITA');
     UPDATE dive.instances SET state = 'INITIALIZING', version = 1 WHERE code = 'ITA'" >/dev/null
run state show ITA --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["instances"][0]["state"]')" "INTERRUPTED"
expect_eq "$(json_get 'd["instances"][0]["resume"]')" "dive spoke deploy ITA --resume"
run state history ITA --json
expect_rc 0
expect_json
expect_eq "$(json_get 'd["transitions"][0]["to"]')" "INTERRUPTED"

# every --json output parses
for cmd in "state show --json" "state history DEU --json" "lock status --json" "db status --json" \
	"db migrate --json" "spoke list-countries --json"; do
	run $cmd
	expect_json
done

# legacy import: idempotent, reports what it cannot read, writes no file
legacy=$(mktemp -d)
printf 'state=COMPLETE\ntimestamp=2026-01-17T03:07:00Z\nversion=2.0\nreason=deployed\nmetadata={"mode":"deploy"}\nchecksum=abc\n' >"$legacy/pol.state"
printf 'state=DEPLOYING\ntimestamp=2026-01-17T03:08:00Z\n' >"$legacy/nld.state"
printf 'garbage without equals\n' >"$legacy/bel.state"
printf 'state=COMPLETE\n' >"$legacy/xyz.state"
before=$(find "$legacy" -printf "%p %s %T@ %m\n" | sort | md5sum)
run state import-legacy "$legacy" --json
expect_rc 1
expect_json
expect_eq "$(json_get 'sorted(e["code"] for e in d["imported"])')" "['NLD', 'POL']"
expect_eq "$(json_get 'len(d["unreadable"])')" "2"
expect_eq "$(sql "SELECT state FROM dive.instances WHERE code = 'POL'")" "COMPLETE"
expect_eq "$(sql "SELECT state FROM dive.instances WHERE code = 'NLD'")" "INTERRUPTED"
run state import-legacy "$legacy" --json
expect_eq "$(json_get 'len(d["imported"])')" "0"
expect_eq "$(json_get 'len(d["skipped"])')" "2"
expect_eq "$(sql "SELECT count(*) FROM dive.transitions WHERE actor = 'import-legacy'")" "2"
expect_eq "$(find "$legacy" -printf "%p %s %T@ %m\n" | sort | md5sum)" "$before" "import wrote nothing into the directory"
rm -rf "$legacy"

# files that cannot be read are reported, never hang or crash the import:
# a FIFO with no writer, a dangling link, a directory, and a file with only metadata
legacy=$(mktemp -d)
mkfifo "$legacy/deu.state"
ln -s "$legacy/nowhere" "$legacy/fra.state"
mkdir "$legacy/esp.state"
printf 'metadata={"mode":"deploy"}\n' >"$legacy/ita.state"
T_RC=0
timeout 20 "$DIVE" state import-legacy "$legacy" --json >"$T_OUT" 2>"$T_ERR" || T_RC=$?
expect_rc 1
expect_json
expect_eq "$(json_get 'sorted(e["code"] for e in d["unreadable"])')" "['DEU', 'ESP', 'FRA', 'ITA']"
expect_eq "$(json_get '[e["reason"] for e in d["unreadable"] if e["code"] == "DEU"][0].endswith("is not a regular file")')" "True"
expect_eq "$(json_get 'len(d["imported"])')" "0"
rm -rf "$legacy"

# no state or lock command writes any file (every file-changing syscall traced)
if command -v strace >/dev/null 2>&1; then
	trace=$(mktemp)
	for cmd in "state show" "state show DEU --json" "state history DEU" "lock status" "lock hold BEL --for 1" \
		"lock release BEL --force" "db status" "db migrate"; do
		MONGOC_DISABLE_SHM=1 strace -f -qq -o "$trace" -e trace=open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,truncate,ftruncate,link,symlink \
			"$DIVE" $cmd >/dev/null 2>&1 || true
		# run as ./dive runs it: MONGOC_DISABLE_SHM=1 (see src/main.c)
		writes=$(grep -E 'O_WRONLY|O_RDWR|O_CREAT|creat\(|mkdir|rename|unlink|truncate|link\(' "$trace" |
			grep -vE '"/dev/(null|tty|pts/[0-9]+)"' || true)
		T_CHECKS=$((T_CHECKS + 1))
		[ -z "$writes" ] || fail "'dive $cmd' touched files: $writes"
	done
	rm -f "$trace"
else
	fail "strace is missing (tests/env/up installs it)"
fi

done_ok
