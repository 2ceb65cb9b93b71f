#!/usr/bin/env bash
# t0003: the error taxonomy on the command line: list, explain, doc.
# ctest: beside-stacks (no shared engine object; runs beside the engine chain, tests/CMakeLists.txt)
. "$(dirname "$0")/lib.sh"

run errors list --json
expect_rc 0
expect_json
T_CHECKS=$((T_CHECKS + 1))
python3 - "$T_OUT" <<'PY' || fail "errors list --json: bad entries"
import json, sys
doc = json.load(open(sys.argv[1]))
errors = doc["errors"]
assert len(errors) > 40, len(errors)
keys = {"code", "name", "category", "severity", "class", "summary", "remediation"}
codes = set()
for e in errors:
    assert set(e) == keys, e
    assert isinstance(e["remediation"], str) and e["remediation"].strip(), e
    assert e["severity"] in ("critical", "high", "medium", "low"), e
    assert e["class"] in ("transient", "permanent", "recoverable"), e
    assert e["code"] not in codes, e
    codes.add(e["code"])
assert 1204 in codes
PY

run errors list
expect_rc 0
expect_out "1204  SERVICE_TIMEOUT"

run errors explain 1204
expect_rc 0
expect_out "1204 SERVICE_TIMEOUT"
expect_out "remediation  "

run errors explain service_timeout --json
expect_rc 0
expect_json
expect_out '"code":	1204'

run errors explain STALE_CONTAINER
expect_rc 0
expect_out "1207 CONTAINER_CONFLICT"

run errors explain nope
expect_rc 2
expect_err "'nope' is not an error code"
expect_no_out

run errors explain 1240
expect_rc 2
expect_err "did you mean '1204'?"

run errors explain 1103
expect_rc 2
expect_err "retired"

run errors explain
expect_rc 2
expect_err "usage: dive errors explain CODE"

# The committed document is what the binary prints.
run errors doc
expect_rc 0
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_OUT" "${DIVE_SOURCE_DIR:-$(dirname "$0")/../..}/docs/architecture/error-taxonomy.md" ||
	fail "docs/architecture/error-taxonomy.md is stale: ./build/dive errors doc > docs/architecture/error-taxonomy.md"

done_ok
