#!/usr/bin/env bash
# t0098: the review documents cite only what exists.  Every reference in
# docs/architecture/{orchestration-review,gap-registry,testing-strategy}.md
# and docs/adr/*.md must name something in the tree:
#
#   - a path under src/ include/ tests/ bench/ migrations/ docs/ monitoring/
#     packaging/ images/ cmake/ (file or directory; ":LINE" may follow; a
#     path followed by * < { is a pattern and not checked);
#   - a scenario id tNNNN: tests/integration/tNNNN-*.sh exists;
#   - a test program test_x / itest_x / bench_x: its .c file exists;
#   - a test case a__b (cmocka's sentence names): defined in a tests/ file;
#   - a function written `name()` in backquotes: defined or called in src/,
#     include/, tests/ or bench/ (the predecessor's functions are written
#     without parentheses, so they are not taken for dive's).
#
# The checker is first run on a document of made-up references, which must
# all be reported: this test can fail.
# ctest: beside-stacks (no shared engine object; runs beside the engine chain, tests/CMakeLists.txt)
. "$(dirname "$0")/lib.sh"
ROOT=${DIVE_SOURCE_DIR:?DIVE_SOURCE_DIR must name the source tree}

# missing ROOT FILE...: one line "FILE: KIND 'REF'" per reference that names nothing.
missing() {
	perl -e '
	use strict; use warnings;
	my $root = shift @ARGV;
	my (@tsrc, %defined, $code);
	for my $d (qw(src include tests bench)) {
		open(my $f, "-|", "find", "$root/$d", "-type", "f", "(", "-name", "*.c", "-o", "-name", "*.h",
		     "-o", "-name", "*.sh", "-o", "-name", "*.py", "-o", "-name", "*.js", ")") or die;
		while (my $p = <$f>) { chomp $p; push @tsrc, $p; }
	}
	for my $p (@tsrc) {
		next if $p =~ m{/t0098-[^/]*$}; # its made-up references are not definitions
		open(my $f, "<", $p) or next; local $/; my $t = <$f>; $code .= $t;
		if ($p =~ m{/tests/}) { $defined{$1} = 1 while $t =~ /\b([a-z][a-z0-9]*__[a-z0-9_]+)\s*\(/g; }
	}
	my %ident; $ident{$1} = 1 while $code =~ /\b([A-Za-z_]\w*)\s*\(/g;
	my $bad = 0;
	for my $doc (@ARGV) {
		open(my $f, "<", $doc) or do { print "$doc: missing document\n"; $bad++; next; };
		local $/; my $t = <$f>;
		my %seen;
		my $report = sub { my ($k, $r) = @_; return if $seen{"$k $r"}++; print "$doc: $k \x27$r\x27\n"; $bad++; };
		while ($t =~ m%(?<![\w./\@:-])((?:src|include|tests|bench|migrations|docs|monitoring|packaging|images|cmake)/[\w./-]*\w)(?!\.?[\w/*<{-])%g) {
			my $p = $1; $report->("path", $p) unless -e "$root/$p";
		}
		while ($t =~ /(?<![\w-])t(\d{4})(?!\w)/g) {
			my $n = $1; my @g = glob("$root/tests/integration/t$n-*.sh");
			$report->("scenario", "t$n") unless @g;
		}
		while ($t =~ m{(?<![\w/.-])((?:itest|test|bench)_[a-z0-9_]*[a-z0-9])(?=\.c\b|(?![\w.]))}g) {
			my $n = $1;
			$report->("test program", $n)
				unless grep { -e "$root/$_/$n.c" } qw(tests/unit tests/integration bench);
		}
		while ($t =~ /(?<![\w])([a-z][a-z0-9]*__[a-z0-9_]*[a-z0-9])(?!\w)/g) {
			$report->("test case", $1) unless $defined{$1};
		}
		while ($t =~ /`([a-z_]\w*)\(\)`/g) {
			$report->("function", $1) unless $ident{$1};
		}
	}
	exit($bad ? 1 : 0);
	' "$@"
}

# The checker reports made-up references (so a passing run means something).
fake=$(mktemp -d)
trap 'rm -f "$T_OUT" "$T_ERR"; rm -rf "$fake"' EXIT
cat >"$fake/made-up.md" <<'EOF'
Fixed in src/engine/no_such_file.c and shown by t9999, test_no_such_module,
itest_no_such_server, pipeline__no_such_case and `no_such_function()`; the
real ones pass: src/engine/pipeline.c:184, tests/integration/t0010-state-lock.sh,
t0040, test_pipeline, itest_state.c, lock__twenty_racers_never_overlap, `pipeline_run()`.
EOF
T_RC=0
missing "$ROOT" "$fake/made-up.md" >"$T_OUT" 2>"$T_ERR" || T_RC=$?
expect_rc 1
for ref in "path 'src/engine/no_such_file.c'" "scenario 't9999'" "test program 'test_no_such_module'" \
	"test program 'itest_no_such_server'" "test case 'pipeline__no_such_case'" "function 'no_such_function'"; do
	expect_out "$ref"
done
expect_eq "$(wc -l <"$T_OUT")" "6" "only the made-up references are reported"

# The documents themselves.
docs=("$ROOT/docs/architecture/orchestration-review.md" "$ROOT/docs/architecture/gap-registry.md"
	"$ROOT/docs/architecture/testing-strategy.md")
for a in "$ROOT"/docs/adr/*.md; do docs+=("$a"); done
T_RC=0
missing "$ROOT" "${docs[@]}" >"$T_OUT" 2>"$T_ERR" || T_RC=$?
[ "$T_RC" -eq 0 ] || fail "references that name nothing in the tree (fix the document or the name): $(cat "$T_OUT")"
T_CHECKS=$((T_CHECKS + 1))

# The matrix marker is the prose's last line of its own (issue 14 generates below it).
T_CHECKS=$((T_CHECKS + 1))
grep -qxF '<!-- matrix: generated below, do not edit -->' "$ROOT/docs/architecture/testing-strategy.md" ||
	fail "testing-strategy.md lacks the line '<!-- matrix: generated below, do not edit -->'"

done_ok
