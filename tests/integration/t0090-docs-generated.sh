#!/usr/bin/env bash
# t0090: the Mermaid files of docs/architecture/ are what the binary draws
# (dive state flow --mermaid from the state machine's table, dive graph
# stacks --mermaid from the stack files), and they say what the tables say.
# ctest: beside-stacks (no shared engine object; runs beside the engine chain, tests/CMakeLists.txt)
. "$(dirname "$0")/lib.sh"
src=${DIVE_SOURCE_DIR:-$(dirname "$0")/../..}

run state flow --mermaid
expect_rc 0
expect_out "stateDiagram-v2"
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_OUT" "$src/docs/architecture/state-flow.mermaid" ||
	fail "docs/architecture/state-flow.mermaid is stale: ./build/dive state flow --mermaid > docs/architecture/state-flow.mermaid"
cp "$T_OUT" "$T_OUT.flow"

# every transition of the table is an arrow, and no other arrow is drawn
run state flow --json
expect_rc 0
expect_json
T_CHECKS=$((T_CHECKS + 1))
python3 - "$T_OUT" "$T_OUT.flow" <<'PY' || fail "state-flow.mermaid and the table disagree"
import json, re, sys
doc = json.load(open(sys.argv[1]))
want = {(t["from"], t["to"]) for t in doc["transitions"]}
assert len(want) >= 30 and ("VERIFYING", "COMPLETE") in want, len(want)
got = set(re.findall(r"^    ([A-Z_]+) --> ([A-Z_]+)$", open(sys.argv[2]).read(), re.M))
assert got == want, (want - got, got - want)
PY
rm -f "$T_OUT.flow"

run state flow --json --mermaid
expect_rc 2
expect_err "exclude each other"

run graph stacks --mermaid
expect_rc 0
T_CHECKS=$((T_CHECKS + 1))
cmp -s "$T_OUT" "$src/docs/architecture/dependency-graph.mermaid" ||
	fail "docs/architecture/dependency-graph.mermaid is stale: ./build/dive graph stacks --mermaid > docs/architecture/dependency-graph.mermaid"
cp "$T_OUT" "$T_OUT.graph"

# the hub's and the spoke's edges are those of dive graph hub|spoke --json
for stack in hub "spoke DEU"; do
	run graph $stack --json
	expect_rc 0
	T_CHECKS=$((T_CHECKS + 1))
	python3 - "$T_OUT" "$T_OUT.graph" "${stack%% *}" <<'PY' || fail "dependency-graph.mermaid lacks edges of $stack"
import json, re, sys
doc = json.load(open(sys.argv[1]))
prefix = sys.argv[3]
ident = lambda n: prefix + "_" + re.sub(r"[^A-Za-z0-9_]", "_", n)
want = set()
for s in doc["services"]:
    for d in s["depends_on"]:
        want.add((ident(d["service"]), ident(s["name"])))
got = {(a, b) for a, b in re.findall(r"^  (\S+) -->\|\w+\| (\S+)$", open(sys.argv[2]).read(), re.M)
       if a.startswith(prefix + "_")}
assert len(want) >= 8 and got == want, (want - got, got - want)
PY
done
rm -f "$T_OUT.graph"

run graph stacks
expect_rc 2
expect_err "draws only --mermaid"

done_ok
