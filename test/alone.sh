#!/usr/bin/env bash
# test/alone.sh SOCKETDIR PORT - every test file runs alone: each pg_regress
# file of REGRESS, each on its own in a fresh regression database, and each
# isolation spec of ISOLATION on its own, against the running cluster on
# socket directory SOCKETDIR and port PORT (as run.sh's throwaway cluster).
# A file that passes only after the files before it in the Makefile's order
# depends on their state; this finds it.
#
# Runs as the postgres account in a copy of the tree it owns, with the same
# pg_regress options as "make installcheck" (the Makefile's REGRESS_OPTS and
# ISOLATION_OPTS, read from the Makefile).  Expects plystra installed (and,
# for sql/other_extension.sql, the fixture test/fixtures/plystra_evil, as
# run.sh installs it).
#
# Ends with "N passed, N failed" (one count per file) and exits non-zero
# when anything failed or nothing ran.  The copy and the outputs are kept in
# the work directory it names when anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"

cluster_args "$@"
PGLIB=$("$PG_CONFIG" --pkglibdir)
PG_REGRESS=$PGLIB/pgxs/src/test/regress/pg_regress
PG_ISOLATION_REGRESS=$PGLIB/pgxs/src/test/isolation/pg_isolation_regress
[ -x "$PG_REGRESS" ] || die "no $PG_REGRESS"
[ -x "$PG_ISOLATION_REGRESS" ] || die "no $PG_ISOLATION_REGRESS"
start=$(date +%s)

work=$(pg_workdir alone)
copy_tree "$work/src"
pg_dir "$work/out"

# the lists and the options of make installcheck, as the Makefile (with
# PGXS) makes them; srcdir is the copy, where the programs run
makevar() {
	printf 'print-var:\n\t@echo $(%s)\n' "$1" |
		as_pg make -C "$work/src" -s --no-print-directory PG_CONFIG="$PG_CONFIG" \
			-f Makefile -f - print-var
}
regress=$(makevar REGRESS) || die "cannot read REGRESS from the Makefile"
regress_opts=$(makevar REGRESS_OPTS) || die "cannot read REGRESS_OPTS"
isolation=$(makevar ISOLATION) || die "cannot read ISOLATION"
isolation_opts=$(makevar ISOLATION_OPTS) || die "cannot read ISOLATION_OPTS"
locale_opts=$(makevar pg_regress_locale_flags)
extra_opts=$(makevar EXTRA_REGRESS_OPTS)

passed=0
failed=0
failures=""

# one PROGRAM KIND NAME OPTIONS: run test NAME alone with PROGRAM in the
# copy, its outputs in out/KIND/NAME
one() {
	local program=$1 kind=$2 name=$3 opts=$4 out=$work/out/$2/$3 rc
	as_pg mkdir -p "$out"
	as_pg env PGHOST="$sock" PGPORT="$port" PGUSER=postgres \
		sh -c 'cd "$1" && shift && exec "$@"' sh "$work/src" \
		"$program" --inputdir=./ --outputdir="$out" --bindir="$PGBIN" \
		$locale_opts $extra_opts $opts "$name" >"$out/log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && grep -qE '^(test |     )?[a-z0-9_]+ +\.\.\. ok|^ok [0-9]+ +[-+] ' "$out/log"; then
		printf '%-10s %-28s ok\n' "$kind" "$name"
		passed=$((passed + 1))
	else
		printf '%-10s %-28s FAILED\n' "$kind" "$name"
		failed=$((failed + 1))
		failures="$failures $kind/$name"
	fi
}

say "each pg_regress file alone (socket $sock, port $port)"
for t in $regress; do
	one "$PG_REGRESS" regress "$t" "$regress_opts"
done
say "each isolation spec alone"
for t in $isolation; do
	one "$PG_ISOLATION_REGRESS" isolation "$t" "$isolation_opts"
done

for f in $failures; do
	echo "---- $f"
	cat "$work/out/$f/log"
	[ -s "$work/out/$f/regression.diffs" ] && cat "$work/out/$f/regression.diffs"
done

echo
echo "alone: $(($(date +%s) - start)) s"
if [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; then
	rm -rf "$work"
else
	echo "outputs: $work/out"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
