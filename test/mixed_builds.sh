#!/usr/bin/env bash
# test/mixed_builds.sh - the library refuses scripts of another build.
#
#   bash test/mixed_builds.sh SOCKET_DIR PORT
#
# Run by test/run.sh as root against its throwaway cluster: it changes the
# installed scripts in PostgreSQL's extension directory for a moment (the
# built ones are put back on exit), which no test running as postgres can
# do.  Cases:
#   - an installed plystra--1.0--1.1.sql of another build: CREATE EXTENSION
#     plystra (1.2) and ALTER EXTENSION plystra UPDATE from 1.1 are refused,
#     naming the file; doctor() of a database installed before reports it;
#   - a released migration whose text differs from the one the library was
#     built with (plystra--1.0.sql of another build): CREATE EXTENSION
#     plystra VERSION '1.0' is refused by the migration's checksum;
#   - a script that applies a migration the library does not know: refused;
#   - a full script the library was not built with (of an older version,
#     left installed): refused, since it names itself.
# Prints one line per check and "mixed builds: ok" or exits non-zero.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"

cluster_args "$@"
[ "$(id -u)" -eq 0 ] || die "run as root: the test changes installed extension scripts"
extdir=$("$PG_CONFIG" --sharedir)/extension
for f in plystra--1.0.sql plystra--1.0--1.1.sql; do
	[ -f "$top/$f" ] || die "$top/$f is not built"
done

restore() {
	install -m 644 "$top/plystra--1.0.sql" "$top/plystra--1.0--1.1.sql" "$extdir/"
	rm -f "$extdir/plystra--1.2--1.2other.sql" "$extdir/plystra--1.1.sql"
}
trap restore EXIT

failed=0
psql_as() {
	as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U postgres "$@" 2>&1
}
# expect DB SQL PATTERN: the command fails with a message matching PATTERN
expect_refused() {
	local db=$1 sql=$2 pattern=$3 out
	if out=$(psql_as -d "$db" -c "$sql"); then
		echo "FAILED: '$sql' succeeded"
		failed=1
	elif ! grep -qE "$pattern" <<<"$out"; then
		echo "FAILED: '$sql' failed otherwise: $out"
		failed=1
	else
		echo "ok: '$sql' is refused: $(grep -m1 ERROR <<<"$out")"
	fi
}
# expect DB SQL OUTPUT
expect_output() {
	local db=$1 sql=$2 want=$3 out
	out=$(psql_as -A -t -d "$db" -c "$sql")
	if [ "$out" = "$want" ]; then
		echo "ok: '$sql' gives '$want'"
	else
		echo "FAILED: '$sql' gives '$out', not '$want'"
		failed=1
	fi
}

for db in mixed_before mixed_fresh mixed_update mixed_10 mixed_11 mixed_other; do
	psql_as -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
done
psql_as -d mixed_before -c 'CREATE EXTENSION plystra' >/dev/null
psql_as -d mixed_update -c "CREATE EXTENSION plystra VERSION '1.1'" >/dev/null
psql_as -d mixed_other -c 'CREATE EXTENSION plystra' >/dev/null
expect_output mixed_before "SELECT status FROM plystra.doctor() WHERE \"check\" = 'scripts'" ok

# a script of another build: the same statements, other bytes
printf -- '-- another build\n' >>"$extdir/plystra--1.0--1.1.sql"
expect_refused mixed_fresh 'CREATE EXTENSION plystra' \
	'extension script "plystra--1.0--1.1.sql" is not from the build of the loaded plystra library'
expect_refused mixed_update 'ALTER EXTENSION plystra UPDATE' \
	'extension script "plystra--1.0--1.1.sql" is not from the build of the loaded plystra library'
expect_output mixed_update "SELECT extversion FROM pg_extension WHERE extname = 'plystra'" 1.1
expect_output mixed_before "SELECT status || ' ' || (detail LIKE 'installed scripts are not from the build of the loaded library: plystra--1.0--1.1.sql has checksum sha256:%') FROM plystra.doctor() WHERE \"check\" = 'scripts'" 'fail true'
restore

# a released migration of another text
sed -i 's/^-- the Finance Reviewer demo role$/-- the Finance Reviewer demo role (another build)/' "$extdir/plystra--1.0.sql"
cmp -s "$extdir/plystra--1.0.sql" "$top/plystra--1.0.sql" && die "the 1.0 script was not changed"
expect_refused mixed_10 "CREATE EXTENSION plystra VERSION '1.0'" \
	"DETAIL:  The script's text has checksum sha256:[0-9a-f]{64}; the library was built with checksum sha256:[0-9a-f]{64}"
restore

# a migration the library does not know
cat >"$extdir/plystra--1.2--1.2other.sql" <<'EOF'
SELECT plystra._migrate_builtin('017_other_build', $m$SELECT 1$m$);
EOF
expect_refused mixed_other "ALTER EXTENSION plystra UPDATE TO '1.2other'" \
	'migration "017_other_build" is not known to the plystra library'
expect_output mixed_other "SELECT extversion FROM pg_extension WHERE extname = 'plystra'" 1.2
restore

# a full script the library was not built with (one of an older version
# left installed): it names itself, and is refused
sed "s/running => 'plystra--1.2.sql'/running => 'plystra--1.1.sql'/" "$top/plystra--1.2.sql" >"$extdir/plystra--1.1.sql"
grep -q "running => 'plystra--1.1.sql'" "$extdir/plystra--1.1.sql" || die "the 1.1 full script was not made"
expect_refused mixed_11 "CREATE EXTENSION plystra VERSION '1.1'" \
	'extension script "plystra--1.1.sql" is not from the build of the loaded plystra library'
restore

# with the built scripts back, everything works again
expect_output mixed_fresh "CREATE EXTENSION plystra; SELECT extversion FROM pg_extension WHERE extname = 'plystra'" 1.2

for db in mixed_before mixed_fresh mixed_update mixed_10 mixed_11 mixed_other; do
	psql_as -d postgres -c "DROP DATABASE $db" >/dev/null
done
if [ "$failed" -eq 0 ]; then
	echo "mixed builds: ok"
else
	echo "mixed builds: FAILED"
	exit 1
fi
