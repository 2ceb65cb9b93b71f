#!/usr/bin/env bash
# t0002: the country table and the port scheme through the real binary.
# ctest: beside-stacks (no shared engine object; runs beside the engine chain, tests/CMakeLists.txt)
. "$(dirname "$0")/lib.sh"

# expect_py EXPR: a Python expression over the JSON document `d` on stdout is true.
expect_py() {
	T_CHECKS=$((T_CHECKS + 1))
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$T_OUT" "$1" || fail "JSON check failed: $1"
}

run spoke ports DEU --json
expect_rc 0
expect_json
expect_py 'd["code"] == "DEU" and d["name"] == "Germany" and d["bind"] == "127.0.0.1"'
expect_py 'd["ports"]["frontend"] == 13011 and d["ports"]["keycloak_https"] == 18411'
expect_py 'len(d["ports"]) == 11 and all(p % 100 == 11 for p in d["ports"].values())'

run spoke ports deu
expect_rc 0
expect_out "DEU Germany"
expect_out "published on 127.0.0.1"
expect_out "keycloak_https   18411  8443"

run spoke ports XYZ
expect_rc 2
expect_err "dive: unknown country code 'XYZ'"
expect_no_out

run spoke ports DEX
expect_rc 2
expect_err "did you mean 'DEU'?"

run --json spoke ports XYZ
expect_rc 2
expect_json
expect_py 'd["ok"] is False and d["exit"] == 2 and d["error"]["kind"] == "usage"'

run spoke ports "DEU'; DROP TABLE x; --"
expect_rc 2
expect_err "invalid country code 'DEU\\'; DROP TABLE...'"
T_CHECKS=$((T_CHECKS + 1))
! grep -qF "DROP TABLE x" "$T_ERR" || fail "stderr echoes the whole hostile input"
T_CHECKS=$((T_CHECKS + 1))
[ "$(wc -l <"$T_ERR")" -eq 1 ] || fail "more than one line on stderr"

run spoke ports "$(printf 'D\033[2JU')"
expect_rc 2
T_CHECKS=$((T_CHECKS + 1))
! grep -q "$(printf '\033')" "$T_ERR" || fail "stderr carries an escape character"

run spoke ports USA --json
expect_rc 0
expect_py 'd["kind"] == "hub" and d["ports"]["kas"] == 18200'

run spoke list-countries --json
expect_rc 0
expect_json
expect_py 'len(d["countries"]) == 38'
expect_py '[c["index"] for c in d["countries"]] == list(range(38))'
expect_py 'd["countries"][0] == {"code": "USA", "name": "United States", "kind": "hub", "index": 0}'
expect_py 'sum(c["kind"] == "partner" for c in d["countries"]) == 6'

run spoke list-countries
expect_rc 0
expect_out "MKD     21  nato     North Macedonia"

# Every port of every instance, through the binary, is distinct.
run spoke list-countries --json
expect_rc 0
T_CHECKS=$((T_CHECKS + 1))
for code in $(python3 -c 'import json,sys; print(" ".join(c["code"] for c in json.load(open(sys.argv[1]))["countries"]))' \
		"$T_OUT"); do
	"$DIVE" spoke ports "$code" --json || fail "spoke ports $code failed"
done | python3 -c '
import json, sys
dec, s, i, seen = json.JSONDecoder(), sys.stdin.read(), 0, {}
while s[i:].strip():
	while s[i].isspace():
		i += 1
	d, i = dec.raw_decode(s, i)
	for name, port in d["ports"].items():
		assert port not in seen, "%s %s = %s" % (d["code"], name, seen[port])
		seen[port] = "%s %s" % (d["code"], name)
assert len(seen) == 38 * 11, len(seen)
' || fail "two instances share a port"

done_ok
