#!/usr/bin/env bash
# t0093: dive completion bash|zsh.  The bash script is sourced and asked as
# bash asks it (COMP_WORDS, COMP_CWORD): every command of `dive --help`,
# every verb of `dive CMD --help` and every option of `dive CMD VERB --help`
# must be offered; also choices (--rollback), country codes and the global
# options.  The zsh script is the same through bashcompinit (checked with
# zsh -n when zsh is installed).
# ctest: beside-stacks (no shared engine object; runs beside the engine chain, tests/CMakeLists.txt)
. "$(dirname "$0")/lib.sh"

run completion bash
expect_rc 0
script=$(mktemp)
cp "$T_OUT" "$script"
trap 'rm -f "$T_OUT" "$T_ERR" "$script"' EXIT
T_CHECKS=$((T_CHECKS + 1))
bash -n "$script" || fail "the bash completion is not valid bash"

# complete WORD...: what the completion offers for the last word
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=(dive "$@"); COMP_CWORD=$#; _dive; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$script" "$@"
}
offers() { # offers WANT WORD...: WANT is among the completions
	local want=$1
	shift
	T_CHECKS=$((T_CHECKS + 1))
	complete_words "$@" | grep -qxF -- "$want" || fail "completion of 'dive $*' does not offer '$want'"
}

groups=$("$DIVE" --help | sed -n '/^commands:/,/^$/{/^  [a-z]/{s/^  \([a-z-]*\).*/\1/;p}}')
T_CHECKS=$((T_CHECKS + 1))
[ "$(echo "$groups" | wc -l)" -ge 18 ] || fail "only $(echo "$groups" | wc -l) commands in the help"
opts_of() {
	awk '/^options:/ { o = 1; next } o && /^$/ { exit }
	     o { n = split(substr($0, 3, 28), t, " ")
		 for (i = 1; i <= n; i++) if (t[i] ~ /^--/) { print substr(t[i], 3); break } }'
}
n_verbs=0 n_opts=0
for g in $groups; do
	offers "$g" ""
	if "$DIVE" "$g" --help | grep -q '^verbs:'; then
		for v in $("$DIVE" "$g" --help | sed -n '/^verbs:/,/^$/{/^  [a-z]/{s/^  \([a-z-]*\).*/\1/;p}}'); do
			offers "$v" "$g" ""
			n_verbs=$((n_verbs + 1))
			# bash runs once per verb: every option of its help in one go
			want=$("$DIVE" "$g" "$v" --help | opts_of | sed 's/^/--/' | sort)
			got=$(complete_words "$g" "$v" -- | sort)
			T_CHECKS=$((T_CHECKS + 1))
			missing=$(comm -23 <(echo "$want") <(echo "$got"))
			[ -z "$want" ] || [ -z "$missing" ] || fail "completion of 'dive $g $v --' lacks: $missing"
			n_opts=$((n_opts + $(echo "$want" | grep -c .)))
		done
	else
		want=$("$DIVE" "$g" --help | opts_of | sed 's/^/--/' | sort)
		got=$(complete_words "$g" -- | sort)
		missing=$(comm -23 <(echo "$want") <(echo "$got"))
		T_CHECKS=$((T_CHECKS + 1))
		[ -z "$want" ] || [ -z "$missing" ] || fail "completion of 'dive $g --' lacks: $missing"
	fi
done
T_CHECKS=$((T_CHECKS + 1))
[ "$n_verbs" -ge 60 ] && [ "$n_opts" -ge 80 ] || fail "only $n_verbs verbs and $n_opts options walked"
echo "walked $(echo "$groups" | wc -l) commands, $n_verbs verbs, $n_opts options"

# prefixes, globals, the values after an option, country codes
offers spoke sp
offers deploy spoke dep
offers --state-url --st
offers --json spoke status --j
offers none spoke deploy DEU --rollback ""
offers DEU spoke deploy D
offers USA state show U
T_CHECKS=$((T_CHECKS + 1))
! complete_words spoke deploy U | grep -qx USA || fail "the hub offered as a spoke code"
# a global option's value is not taken for the command
offers spoke --state-url postgresql://x/y sp

# a missing verb would be missed: the same walk on a script without 'logs' fails
sed -i 's/ logs / /; s/ logs"/"/' "$script"
T_CHECKS=$((T_CHECKS + 1))
! (offers logs spoke "") 2>/dev/null || fail "the check did not miss a verb taken out of the script"

run completion zsh
expect_rc 0
expect_out "#compdef dive"
expect_out "bashcompinit"
expect_out "complete -F _dive dive"
if command -v zsh >/dev/null; then
	T_CHECKS=$((T_CHECKS + 1))
	zsh -n "$T_OUT" || fail "the zsh completion is not valid zsh"
fi

run completion fish
expect_rc 2
expect_err "bash or zsh"

done_ok
