#!/usr/bin/env bash
# rules.sh - two habits of STYLE.md that a grep can keep:
#
#  1. the last-error slot is never formatted into itself: no
#     dive_error_set(..., dive_error_last()) (error.h: dive_error_wrap or
#     dive_error_save/restore instead);
#  2. the environment is read in one place: getenv() only in
#     src/core/settings.c (the table of every variable), src/client/secrets.c
#     (the env secrets provider, DIVE_SECRET_<CODE>_<KEY>) and
#     src/model/interp.c (a compose file's ${VAR}, the process environment).
#
#   tests/structure/rules.sh SOURCE_DIR
set -u
cd "${1:?usage: rules.sh SOURCE_DIR}" || exit 2
bad=0

while IFS= read -r hit; do
	echo "rules: $hit: dive_error_last() passed to dive_error_set() (use dive_error_wrap)"
	bad=$((bad + 1))
done < <(find src -name '*.c' | sort | xargs perl -0ne '
	while (/dive_error_v?set\s*\([^;]*?dive_error_last\s*\(\)/g) {
		my $l = (substr($_, 0, pos($_)) =~ tr/\n//) + 1; print "$ARGV:$l\n";
	}')

# getenv outside the settings table; fedsync.c still reads DIVE_FEDERATION_STORE_URL
# itself (its row is in the table): moving that call belongs to the fedsync split
allowed='^src/(core/settings|client/secrets|model/interp|engine/fedsync)\.c:'
while IFS= read -r hit; do
	echo "rules: $hit: getenv() outside the settings table (settings_getenv, and a row in src/core/settings.c)"
	bad=$((bad + 1))
done < <(grep -rn --include='*.c' -E '\bgetenv[[:space:]]*\(' src | grep -Ev "$allowed" | cut -d: -f1,2)

if [ "$bad" -gt 0 ]; then
	echo "rules: $bad finding(s)"
	exit 1
fi
echo "rules: ok"
