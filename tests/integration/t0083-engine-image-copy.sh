#!/usr/bin/env bash
# t0083: images travel from the local engine to engine B without a registry
# (dive images copy): the image arrives with the same id; a second copy
# sends nothing; an image of another id under the same name is replaced; a
# missing image is named; and the Keycloak image (hundreds of MB) crosses
# while dive's memory stays bounded (streamed, never held whole).  The
# copy's size and time are printed for docs/benchmarks.md.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_engine.sh"
engine_setup t0083
"$DIVE" images build base standin >/dev/null 2>&1 || fail "cannot build the stand-in image"
engine_b_up
engine_add b
expect_rc 0
id_a() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null; }
id_b() { on_b image inspect -f '{{.Id}}' "$1" 2>/dev/null; }

# nothing there yet: a dry run says so and sends nothing
run images copy --to b standin --dry-run
expect_rc 0
expect_out "dive/standin:local: would copy to engine 'b'"
expect_eq "$(id_b dive/standin:local)" "" "a dry run copied"

run images copy --to b standin base --json
expect_rc 0
expect_json
expect_eq "$(json_get '[(i["image"], i["copied"], i["bytes"] > 1000000) for i in d["images"]]')" \
	"[('dive/standin:local', True, True), ('dive/base:local', True, True)]"
expect_eq "$(id_b dive/standin:local)" "$(id_a dive/standin:local)"
expect_eq "$(id_b dive/base:local)" "$(id_a dive/base:local)"

# the same id there: nothing sent
run images copy --to b standin --json
expect_rc 0
expect_eq "$(json_get '[(i["copied"], i["bytes"]) for i in d["images"]]')" "[(False, 0)]"
run images copy --to b standin
expect_out "on engine 'b' already"

# another image under the same name on B is replaced by the local one
on_b tag dive/base:local dive/standin:local || fail "cannot retag on B"
run images copy --to b standin
expect_rc 0
expect_out "copied to engine 'b'"
expect_eq "$(id_b dive/standin:local)" "$(id_a dive/standin:local)"

# the other way round, and what is not there
run images copy --from b --to local standin
expect_rc 0
expect_out "on engine 'local' already"
run images copy --to b dive/nosuch:local
expect_rc 1
expect_err "image 'dive/nosuch:local' is not on engine 'local'"
expect_err "(error 1209 IMAGE_MISSING)"
run images copy --to nosuch standin
expect_rc 1
expect_err "no engine 'nosuch' is registered"
run images copy standin
expect_rc 2

# a large image streams with bounded memory: dive's peak resident size is polled while it copies
if [ -n "$(id_a dive/keycloak:local)" ]; then
	t0=$(date +%s.%N)
	"$DIVE" images copy --to b keycloak --json >"$T_OUT" 2>"$T_ERR" &
	pid=$!
	peak=0
	while [ -d "/proc/$pid" ]; do
		h=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
		[ -n "$h" ] && [ "$h" -gt "$peak" ] && peak=$h
		sleep 0.05
	done
	T_RC=0
	wait "$pid" || T_RC=$?
	expect_rc 0
	bytes=$(json_get 'd["images"][0]["bytes"]')
	ms=$(json_get 'd["images"][0]["ms"]')
	echo "keycloak image: $bytes bytes in ${ms} ms, dive's peak RSS ${peak} kB (wall $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s)"
	T_CHECKS=$((T_CHECKS + 1)); [ "$bytes" -gt $((200 << 20)) ] || fail "the keycloak image is only $bytes bytes"
	# AddressSanitizer keeps freed memory in quarantine (256 MB by default): its RSS says nothing here
	if ldd "$DIVE" 2>/dev/null | grep -q libasan; then
		echo "note: $DIVE is built with AddressSanitizer; its peak RSS is not checked"
	else
		T_CHECKS=$((T_CHECKS + 1)); [ "$peak" -gt 0 ] && [ "$peak" -lt $((96 << 10)) ] || fail "peak RSS ${peak} kB for a $bytes-byte image"
	fi
	expect_eq "$(id_b dive/keycloak:local)" "$(id_a dive/keycloak:local)"
	run images copy --to b keycloak --json
	expect_eq "$(json_get 'd["images"][0]["copied"]')" "False"
else
	echo "note: dive/keycloak:local is not built here; the large-image part is skipped"
fi
done_ok
