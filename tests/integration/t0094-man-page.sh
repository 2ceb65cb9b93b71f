#!/usr/bin/env bash
# t0094: dive help --man, the manual page generated from the command
# tables: groff reads it without a warning, and the page man shows names
# every command of `dive --help`, every verb of `dive CMD --help` with its
# usage and every option of `dive CMD VERB --help`, the environment
# variables and the exit codes.
# ctest: beside-stacks (no shared engine object; runs beside the engine chain, tests/CMakeLists.txt)
. "$(dirname "$0")/lib.sh"
page=$(mktemp) text=$(mktemp)
trap 'rm -f "$T_OUT" "$T_ERR" "$page" "$text"' EXIT

run help --man
expect_rc 0
expect_out ".TH DIVE 1"
cp "$T_OUT" "$page"
T_CHECKS=$((T_CHECKS + 1))
warn=$(groff -ww -man -z "$page" 2>&1) && [ -z "$warn" ] || fail "groff warns: $warn"
if command -v man >/dev/null; then
	MANWIDTH=400 man -l "$page" 2>/dev/null | col -b >"$text"
else
	groff -man -Tutf8 -rLL=400n "$page" | col -b >"$text"
fi
T_CHECKS=$((T_CHECKS + 1))
[ -s "$text" ] || fail "man shows nothing"

has() { T_CHECKS=$((T_CHECKS + 1)); grep -qF -- "$1" "$text" || fail "the man page lacks '$1'"; }
opts_of() {
	awk '/^options:/ { o = 1; next } o && /^$/ { exit }
	     o { n = split(substr($0, 3, 28), t, " ")
		 for (i = 1; i <= n; i++) if (t[i] ~ /^--/) { print substr(t[i], 3); break } }'
}
n=0
for g in $("$DIVE" --help | sed -n '/^commands:/,/^$/{/^  [a-z]/{s/^  \([a-z-]*\).*/\1/;p}}'); do
	has "COMMAND $g"
	if "$DIVE" "$g" --help | grep -q '^verbs:'; then
		verbs=$("$DIVE" "$g" --help | sed -n '/^verbs:/,/^$/{/^  [a-z]/{s/^  \([a-z-]*\).*/\1/;p}}')
	else
		verbs=-
	fi
	for v in $verbs; do
		if [ "$v" = - ]; then h=$("$DIVE" "$g" --help); else h=$("$DIVE" "$g" "$v" --help); fi
		# "usage: dive spoke logs CODE [SERVICE] [options]" is the heading "dive spoke logs CODE [SERVICE]"
		has "$(echo "$h" | sed -n '1{s/^usage: //;s/ \[options\]$//;p}')"
		has "$(echo "$h" | sed -n '3p')"
		for o in $(echo "$h" | opts_of); do
			T_CHECKS=$((T_CHECKS + 1))
			# the option's heading line inside this verb's section
			awk -v sec="$(echo "$h" | sed -n '1{s/^usage: //;s/ \[options\]$//;p}')" -v opt="--$o" '
				index($0, sec) == 4 && length($0) == length(sec) + 3 { in_sec = 1; next }
				in_sec && /^   [^ ]/ { exit }
				in_sec && /^COMMAND / { exit }
				in_sec && index($0, opt) { found = 1; exit }
				END { exit !found }' "$text" || fail "the man page lacks $o under '$g $v'"
		done
		n=$((n + 1))
	done
done
T_CHECKS=$((T_CHECKS + 1))
[ "$n" -ge 60 ] || fail "only $n verbs walked"
echo "walked $n verbs"
has "DIVE_STATE_URL"
has "NO_COLOR"
has "130 interrupted"
has "69 not-implemented"

run help --man spoke
expect_rc 2

done_ok
