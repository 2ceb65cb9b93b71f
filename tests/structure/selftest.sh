#!/usr/bin/env bash
# selftest.sh - the structure checks can fail: a small tree with one of each
# fault must be refused with the finding named, and the same tree without
# them accepted.
#
#   tests/structure/selftest.sh STRUCTURE_DIR
set -u
dir=$(cd "${1:?usage: selftest.sh STRUCTURE_DIR}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # check WHAT COMMAND... : the command must print WHAT and exit 1
	local what=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" -ne 1 ] || ! grep -qF -- "$what" <<<"$out"; then
		echo "selftest: expected exit 1 with '$what', got $rc:"
		echo "$out"
		fails=$((fails + 1))
	fi
}

tree() { # a tree: core/text.c, cli/help.c, model/a.c <-> model/b.c when $1 = bad
	rm -rf "$tmp/t"
	mkdir -p "$tmp/t/src/core" "$tmp/t/src/cli" "$tmp/t/src/model" "$tmp/t/include/dive" "$tmp/t/obj"
	echo 'int help_top(void);' >"$tmp/t/include/dive/help.h"
	echo 'int text_len(void);' >"$tmp/t/include/dive/text.h"
	printf '#include "dive/help.h"\nint help_top(void) { return 1; }\n' >"$tmp/t/src/cli/help.c"
	if [ "$1" = bad ]; then
		printf '#include "dive/help.h"\nint text_len(void) { return help_top(); }\n' >"$tmp/t/src/core/text.c"
		printf 'int b_fn(void);\nint a_fn(int n) { return n ? b_fn() : 0; }\n' >"$tmp/t/src/model/a.c"
		printf 'int a_fn(int n);\nint b_fn(void) { return a_fn(0); }\n' >"$tmp/t/src/model/b.c"
		printf 'const char *n(void) { return getenv("HOME"); }\nvoid e(void) { dive_error_set(1, "%%s", dive_error_last()); }\n' \
			>"$tmp/t/src/model/env.c"
	else
		printf '#include "dive/text.h"\nint text_len(void) { return 0; }\n' >"$tmp/t/src/core/text.c"
		printf 'int b_fn(void);\nint a_fn(int n) { return n ? b_fn() : 0; }\n' >"$tmp/t/src/model/a.c"
		printf 'int b_fn(void) { return 2; }\n' >"$tmp/t/src/model/b.c"
	fi
	for f in "$tmp"/t/src/*/*.c; do
		rel=${f#"$tmp"/t/}
		mkdir -p "$tmp/t/obj/$(dirname "$rel")"
		cc -w -c -I"$tmp/t/include" "$f" -o "$tmp/t/obj/$rel.o" 2>/dev/null || true
	done
}

tree bad
check "src/core/text.c (core) includes dive/help.h of the higher layer cli" bash "$dir/layers.sh" "$tmp/t"
check "src/core/text.c (core) uses help_top (fn) of src/cli/help.c" bash "$dir/layers.sh" "$tmp/t" "$tmp/t/obj"
check "src/model/a.c and src/model/b.c call each other" bash "$dir/layers.sh" "$tmp/t" "$tmp/t/obj"
check "src/model/env.c:1: getenv() outside the settings table" bash "$dir/rules.sh" "$tmp/t"
check "src/model/env.c:2: dive_error_last() passed to dive_error_set()" bash "$dir/rules.sh" "$tmp/t"

tree good
bash "$dir/layers.sh" "$tmp/t" "$tmp/t/obj" >/dev/null || { echo "selftest: a clean tree was refused"; fails=$((fails + 1)); }
bash "$dir/rules.sh" "$tmp/t" >/dev/null || { echo "selftest: a clean tree broke the rules"; fails=$((fails + 1)); }

[ "$fails" -eq 0 ] || exit 1
echo "selftest: ok"
