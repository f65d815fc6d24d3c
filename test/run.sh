#!/usr/bin/env bash
# test/run.sh - the whole suite: pg_regress (sql/, expected/), isolation
# (test/specs), TAP with PostgreSQL::Test::Cluster (test/t, which holds the
# upgrade matrix and the mutation test of the upgrade script), the test of
# mixed builds (test/mixed_builds.sh), every block of README.md
# (test/readme.sh) and the check that no C files depend
# on each other in a cycle (test/c_deps.pl).  Installs what is missing, builds and installs
# plystra, runs everything as the postgres account in a copy of the tree it
# owns, against a throwaway cluster on a private socket directory.
#
# Ends with "N passed, N failed" (one count per test file or spec) and exits
# non-zero when anything failed or nothing ran.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"
set -e

PORT=${PLYSTRA_TEST_PORT:-54329}
ensure_packages
build_and_install

# the hostile fixture extension of sql/other_extension.sql, for this run only
extdir=$("$PG_CONFIG" --sharedir)/extension
install -m 644 "$top"/test/fixtures/plystra_evil/plystra_evil* "$extdir"/

work=$(pg_workdir test)
copy_tree "$work/src"
pg_dir "$work/logs"
trap 'stop_cluster "$work"; rm -f "$extdir"/plystra_evil* "$extdir"/plystra--*[am][0-9][0-9][0-9].sql "$extdir"/plystra--1.2--1.2app.sql' EXIT
say "throwaway cluster in $work (socket $work, port $PORT)"
start_cluster "$work" "$PORT"
set +e

passed=0
failed=0

# suite NAME EXPECTED MAKE-ARGS...: run one kind of test with make
# installcheck in the copy and count its results from the output; tests that
# were expected but reported neither passed nor failed count as failed.
suite() {
	local name=$1 expected=$2 log=$work/logs/$1.log ok bad rc
	shift 2
	say "$name"
	as_pg env PGHOST="$work" PGPORT="$PORT" PGUSER=postgres ${PLYSTRA_MUTANTS:+PLYSTRA_MUTANTS=$PLYSTRA_MUTANTS} \
		${PLYSTRA_TEST_VERSIONS:+PLYSTRA_TEST_VERSIONS=$PLYSTRA_TEST_VERSIONS} \
		make -C "$work/src" -s PG_CONFIG="$PG_CONFIG" installcheck "$@" >"$log" 2>&1
	rc=$?
	case $name in
	tap)
		ok=$(grep -cE '^test/t/.*\.pl \.+ ok' "$log")
		bad=$(grep -E '^test/t/.*\.pl \.+ ' "$log" | grep -cvE '\.+ ok')
		;;
	*)
		# PostgreSQL 15: "test name ... ok"; 16 and later: "ok 1 - name"
		ok=$(grep -cE '^(test |     )?[a-z0-9_]+ +\.\.\. ok|^ok [0-9]+ +[-+] ' "$log")
		bad=$(grep -cE '\.\.\. FAILED|\.\.\. failed|^not ok [0-9]+ ' "$log")
		;;
	esac
	if [ $((ok + bad)) -lt "$expected" ]; then
		echo "$name: $expected tests expected, $((ok + bad)) reported"
		bad=$((expected - ok))
	fi
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		bad=1	# the suite failed without saying which test
	fi
	cat "$log"
	for f in "$work"/src/regression.diffs "$work"/src/output_iso/regression.diffs; do
		[ "$rc" -ne 0 ] && [ -s "$f" ] && { echo "---- $f"; cat "$f"; }
	done
	if [ "$name" = tap ] && [ "$rc" -ne 0 ]; then
		for f in "$work"/src/tmp_check/log/regress_log_*; do
			[ -f "$f" ] && { echo "---- $f"; tail -n 60 "$f"; }
		done
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
}

# check NAME LOG COMMAND...: a test that is one command, counted as passed
# or failed by its exit status; its output goes to logs/LOG.log, and here
# whole when it failed, its last line when it passed
check() {
	local name=$1 log=$work/logs/$2.log
	shift 2
	say "$name"
	if "$@" >"$log" 2>&1; then
		passed=$((passed + 1))
		tail -n 1 "$log"
	else
		failed=$((failed + 1))
		cat "$log"
	fi
}

# Every test file on disk is in the Makefile's lists and the other way
# round, so that a test cannot be silently skipped or missing.
say "test lists"
listed() {
	printf 'print-list:\n\t@echo $(sort $(REGRESS) $(REGRESS_LATER)) / $(ISOLATION) / $(REGRESS)\n' |
		make -C "$top" -s --no-print-directory PG_CONFIG="$PG_CONFIG" \
			-f Makefile -f - print-list
}
lists=$(listed)
regress_listed=$(echo "${lists%%/*}" | tr ' ' '\n' | sed '/^$/d' | sort)
isolation_listed=$(echo "$lists" | cut -d/ -f2 | tr ' ' '\n' | sed '/^$/d' | sort)
# the files this version runs (REGRESS_LATER: only on later versions)
regress_run=$(echo "$lists" | cut -d/ -f3 | tr ' ' '\n' | sed '/^$/d')
regress_files=$(ls "$top"/sql/*.sql 2>/dev/null | xargs -r -n1 basename | sed 's/\.sql$//' | sort)
isolation_files=$(ls "$top"/test/specs/*.spec 2>/dev/null | xargs -r -n1 basename | sed 's/\.spec$//' | sort)
if [ "$regress_listed" = "$regress_files" ] && [ "$isolation_listed" = "$isolation_files" ]; then
	echo "test lists match the files"
else
	echo "REGRESS/ISOLATION in Makefile do not match sql/*.sql and test/specs/*.spec:"
	diff <(echo "$regress_listed"; echo "$isolation_listed") <(echo "$regress_files"; echo "$isolation_files")
	failed=$((failed + 1))
fi

# The C files depend on each other without a cycle (read from the objects
# with nm): one layer of leaves, no file that needs a file needing it.
check "C dependencies" c_deps perl "$top/test/c_deps.pl" "$top/src"

n_regress=$(echo "$regress_run" | wc -l)
n_isolation=$(echo "$isolation_files" | sed '/^$/d' | wc -l)
n_tap=$(ls "$top"/test/t/*.pl 2>/dev/null | wc -l)

suite regress "$n_regress" ISOLATION= TAP_TESTS=
if [ "$n_isolation" -gt 0 ]; then
	suite isolation "$n_isolation" REGRESS= TAP_TESTS=
fi
# every pg_regress file and isolation spec once more, each alone in a fresh
# database (test/alone.sh): no file may lean on what the files before it
# left.  Before the mutants and test-only versions below are installed:
# install.sql lists the available versions.
check "each test file alone" alone bash "$top/test/alone.sh" "$work" "$PORT"
# the mutants of the upgrade scripts that test/t/007_upgrade_mutations.pl
# runs, installed for the TAP tests only: versions 1.2mNNN (1.1 -> 1.2
# without one statement) and 1.1aNNN (1.0 -> 1.1 without one), each with
# its own way on to 1.2aNNN
say "mutants of the upgrade scripts"
if n12=$(perl "$top/test/mutate_script.pl" "$top/plystra--1.1--1.2.sql" "$extdir" 1.1 1.2 m) &&
	n11=$(perl "$top/test/mutate_script.pl" "$top/plystra--1.0--1.1.sql" "$extdir" 1.0 1.1 a \
		"$top/plystra--1.1--1.2.sql" 1.2); then
	PLYSTRA_MUTANTS=$((n12 + n11))
	echo "$n12 mutants of plystra--1.1--1.2.sql, $n11 of plystra--1.0--1.1.sql installed"
else
	failed=$((failed + 1))
fi
# and the test-only versions of test/fixtures/versions (008)
install -m 644 "$top"/test/fixtures/versions/*.sql "$extdir"/
PLYSTRA_TEST_VERSIONS=1
suite tap "$n_tap" REGRESS= ISOLATION=

# the library refuses scripts of another build: the test changes installed
# scripts for a moment, so it runs here, as root, after everything else
check "mixed builds" mixed_builds bash "$top/test/mixed_builds.sh" "$work" "$PORT"

# every sh and sql block of README.md, in order, on a cluster of its own
# (its install blocks run as root, so it runs here, like the one above)
check "README blocks" readme bash "$top/test/readme.sh"

echo
echo "logs: $work/logs"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
