#!/usr/bin/env bash
# t0001: the generated help, suggestions, arity and honest refusals.
# ctest: beside-stacks (no shared engine object; runs beside the engine chain, tests/CMakeLists.txt)
. "$(dirname "$0")/lib.sh"

run --help
expect_rc 0
for g in hub spoke federation state lock db breaker errors graph images version help; do
	expect_out "  $g "
done

run spokee
expect_rc 2
expect_err "did you mean 'spoke'?"
expect_no_out

run spoke deploy
expect_rc 2
expect_err "usage: dive spoke deploy CODE"

run spoke deploy DEU --bogus
expect_rc 2
expect_err "unknown option '--bogus'"

run spoke --help
expect_rc 0
expect_out "deploy CODE"

run version --json
expect_rc 0
expect_json
expect_out '"libmongoc"'

done_ok
