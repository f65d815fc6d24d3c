#!/usr/bin/env bash
# test/coverage.sh - line coverage of src/*.c by the whole suite ("make
# coverage").  Builds and installs plystra instrumented for gcov (make
# PLYSTRA_COVERAGE=1: -O0 --coverage), runs test/run.sh with it, prints a
# table of line coverage per file of src/*.c and the total, and installs
# the plain build again at the end, also when something failed.
#
# The servers run as the postgres account and cannot write .gcda files next
# to the objects of the checkout: GCOV_PREFIX sends them to a directory of
# their own, which every server inherits (run.sh's cluster, pg_regress'
# and the TAP tests' clusters).  Processes the tests kill (immediate
# shutdowns, crashes) write nothing, so what only they ran is not counted.
#
# Output in coverage/ (make clean removes it):
#   summary.txt    the table
#   uncovered.txt  every line never executed, as FILE:LINE: SOURCE
#   gcov/          the sources annotated with execution counts (gcov)
#   build/         what gcov read: the sources as compiled, .gcno, .gcda
#
# Exits non-zero when the suite (or the report) failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"

out=$top/coverage
GCOV=${GCOV:-gcov}

ensure_packages
command -v "$GCOV" >/dev/null || die "$GCOV not found (it comes with gcc)"

gcda=$(pg_workdir gcda)

restore_plain() {
	say "installing the plain build again"
	rm -f "$top"/src/*.gcno "$top"/src/*.gcda
	if ! PLYSTRA_COVERAGE= build_and_install; then
		echo "error: the plain build failed; the instrumented build is still installed" >&2
		return 1
	fi
}
finish() {
	local rc=$?
	trap - EXIT
	restore_plain || rc=1
	rm -rf "$gcda"
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM HUP

# the instrumented build; test/run.sh builds and installs again, and keeps
# it with PLYSTRA_COVERAGE=1 in its environment
rm -rf "$out"
rm -f "$top"/src/*.gcno "$top"/src/*.gcda
rm -f "$top/.build_flavor"	# every object again, with its .gcno
export PLYSTRA_COVERAGE=1
build_and_install || die "the instrumented build failed"
ls "$top"/src/*.gcno >/dev/null 2>&1 || die "the build made no .gcno files"

# what gcov reads: the sources as they were compiled (the checkout may
# change while the suite runs) and the notes files of this build
mkdir -p "$out/build/src" "$out/gcov"
cp "$top"/src/*.c "$top"/src/*.h "$top"/src/*.gcno "$out/build/src/"

say "the suite, instrumented (.gcda files in $gcda)"
export GCOV_PREFIX=$gcda GCOV_PREFIX_STRIP=0
bash "$top/test/run.sh"
suite_rc=$?
unset GCOV_PREFIX GCOV_PREFIX_STRIP PLYSTRA_COVERAGE

say "line coverage of src/*.c"
# every server wrote its counts under $gcda followed by the objects' path
n=0
while IFS= read -r f; do
	cp "$f" "$out/build/src/" && n=$((n + 1))
done < <(find "$gcda" -name '*.gcda' -path '*/src/*')
[ "$n" -gt 0 ] || echo "warning: no .gcda files were written: nothing ran the library?" >&2

# gcov finds the sources by the relative names they were compiled with
# (src/x.c), from its working directory; -r leaves out system headers
built=$(cd "$out/build" && for g in src/*.gcno; do echo "${g%.gcno}.c"; done)
(cd "$out/build" && "$GCOV" -r -o src $built >gcov.log 2>&1) || {
	cat "$out/build/gcov.log" >&2
	die "gcov failed"
}
mv "$out"/build/*.gcov "$out/gcov/"

# lines with "-" are not executable, "#####" (or "=====") never executed
report() {
	local gcov=$1 name=$2
	awk -F: -v name="$name" -v uncovered="$out/uncovered.txt" '
		$2 + 0 == 0 { next }
		{ c = $1; gsub(/ /, "", c) }
		c == "-" { next }
		{ lines++ }
		c == "#####" || c == "=====" {
			missed++
			src = $0; sub(/^[^:]*:[^:]*:/, "", src)
			printf "%s:%d: %s\n", name, $2, src >> uncovered
		}
		END { printf "%d %d\n", lines, lines - missed }' "$gcov"
}
: >"$out/uncovered.txt"
total=0
covered=0
{
	printf '%-28s %7s %8s %10s %7s\n' file lines executed unexecuted cover
	for c in "$out"/build/src/*.c; do
		base=$(basename "$c")
		name=src/$base
		if [ ! -f "$out/build/src/${base%.c}.gcno" ]; then
			printf '%-28s %s\n' "$name" "(not in the build)"
			continue
		fi
		if [ ! -f "$out/gcov/$base.gcov" ]; then
			printf '%-28s %s\n' "$name" "(no gcov output)"
			continue
		fi
		read -r l e < <(report "$out/gcov/$base.gcov" "$name")
		total=$((total + l))
		covered=$((covered + e))
		printf '%-28s %7d %8d %10d %6s%%\n' "$name" "$l" "$e" "$((l - e))" \
			"$(awk -v e="$e" -v l="$l" 'BEGIN { printf "%.1f", l ? 100 * e / l : 100 }')"
	done
	echo
	awk -v e="$covered" -v l="$total" \
		'BEGIN { printf "src/: %.1f%% of %d lines\n", l ? 100 * e / l : 0, l }'
} >"$out/summary.txt"
cat "$out/summary.txt"
echo
echo "unexecuted lines: $out/uncovered.txt"
echo "annotated sources: $out/gcov/"
if [ "$suite_rc" -ne 0 ]; then
	echo "the suite failed (exit $suite_rc): the coverage above is of a failed run" >&2
fi
exit "$suite_rc"
