#!/usr/bin/env bash
# layers.sh - the arrows point down and no two files call each other.
#
#   tests/structure/layers.sh SOURCE_DIR [OBJECT_DIR]
#
# Layers, highest first: main.c -> src/cmd -> src/cli -> src/serve -> src/engine ->
# src/client -> src/model -> src/core (STYLE.md).  Two checks:
#
#  1. includes: a file may include the header of its own layer or a lower
#     one.  A header include/dive/X.h belongs to the layer of src/<layer>/X.c,
#     or to src/X/ when X names a layer (cli.h); a header that is neither
#     must be given a layer here, so a new header cannot slip through.
#  2. calls (needs OBJECT_DIR, the objects of divecore and main.c): from the
#     symbols each object defines and needs (nm), every function or object a
#     file uses is defined in its own layer or a lower one, and no two files
#     call each other's functions.
#
# Each finding is one line; the script exits 1 when there is any.
set -u
src=${1:?usage: layers.sh SOURCE_DIR [OBJECT_DIR]}
obj=${2:-}
cd "$src" || exit 2

declare -A RANK=([core]=0 [model]=1 [client]=2 [engine]=3 [serve]=4 [cli]=5 [cmd]=6 [main]=7)

# The layer of a source path: src/<layer>/... or src/main.c.
layer_of_path() {
	case "$1" in
	src/main.c) REPLY=main ;;
	src/*/*) REPLY=${1#src/}; REPLY=${REPLY%%/*} ;;
	*) REPLY="?" ;;
	esac
}

# Each header's layer: src/<layer>/X.c, or src/X/ when X names a layer (cli.h).
declare -A HLAYER=()
for f in src/*/*.c; do
	b=${f##*/}
	layer_of_path "$f"
	HLAYER[${b%.c}]=$REPLY
done
for d in src/*/; do
	d=${d%/}
	HLAYER[${d#src/}]=${d#src/}
done

bad=0
finding() {
	echo "layers: $*"
	bad=$((bad + 1))
}

# 1. includes
while IFS= read -r f; do
	layer_of_path "$f"
	fl=$REPLY
	while IFS= read -r h; do
		hl=${HLAYER[$h]:-}
		if [ -z "$hl" ]; then
			finding "$f includes dive/$h.h, which belongs to no layer (name it after its src/<layer>/$h.c)"
		elif [ "${RANK[$hl]}" -gt "${RANK[$fl]}" ]; then
			finding "$f ($fl) includes dive/$h.h of the higher layer $hl"
		fi
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"dive\/\([a-z0-9_]*\)\.h".*/\1/p' "$f")
done < <(find src -name '*.[ch]' | sort)

# 2. calls, from the objects
if [ -n "$obj" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	: >"$tmp/defs"
	: >"$tmp/uses"
	while IFS= read -r o; do
		rel=${o#"$obj"/}
		case "$rel" in
		*/src/*) path=src/${rel#*/src/} ;;
		src/*) path=$rel ;;
		*) continue ;;
		esac
		path=${path%.o}
		[ -e "$path" ] || continue
		nm -g --defined-only "$o" | awk -v p="$path" 'NF == 3 { print $3, p, ($2 == "T" ? "fn" : "data") }' >>"$tmp/defs"
		nm -g --undefined-only "$o" | awk -v p="$path" '{ print $NF, p }' >>"$tmp/uses"
	done < <(find "$obj" -name '*.c.o' | sort)
	# every use of a symbol another file defines: "caller callee symbol kind", then
	# an upward use, or (functions only: a table of function pointers handed down,
	# an ops struct or the verb table, is how a lower file is told what to call) a
	# pair of files that call each other
	awk '
	function layer(p,   q) {
		if (p == "src/main.c") return "main"
		q = substr(p, 5); return substr(q, 1, index(q, "/") - 1)
	}
	BEGIN { split("core model client engine serve cli cmd main", L, " "); for (i in L) R[L[i]] = i }
	NR == FNR { def[$1] = $2; kind[$1] = $3; next }
	($1 in def) && def[$1] != $2 {
		from = $2; to = def[$1]; sym = $1
		if (R[layer(to)] > R[layer(from)])
			printf "layers: %s (%s) uses %s (%s) of %s, a higher layer (%s)\n", from, layer(from), sym, kind[sym], to, layer(to)
		if (kind[sym] == "fn" && !((from " " to) in e)) e[from " " to] = sym
	}
	END {
		for (k in e) {
			split(k, a, " "); r = a[2] " " a[1]
			if ((r in e) && a[1] < a[2])
				printf "layers: %s and %s call each other (%s calls %s(), %s calls %s())\n", a[1], a[2], a[1], e[k], a[2], e[r]
		}
	}' "$tmp/defs" "$tmp/uses" | sort >"$tmp/found"
	cat "$tmp/found"
	bad=$((bad + $(wc -l <"$tmp/found")))
fi

if [ "$bad" -gt 0 ]; then
	echo "layers: $bad finding(s); calls go down: cmd -> cli -> serve -> engine -> client -> model -> core"
	exit 1
fi
echo "layers: ok"
