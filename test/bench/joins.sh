#!/usr/bin/env bash
# test/bench/joins.sh - the joins applications run, through the interface
# views and as hand-written SQL on plain copies of the tables (same columns,
# same indexes, explicit deleted_at IS NULL on every entity and parent), at
# 1,000,000 users (joins_setup.sql), in the same run: interleaved rounds,
# medians, ratios.  Queries are run by an application role with access
# 'application', 2 clients, prepared statements (pgbench -M prepared: after
# five runs a generic plan, as drivers get), for a fixed time per run; the
# ratio is the hand-written query's throughput over the view's.
#
#   memberships  a user's members: user_members JOIN members
#   two_hops     a user's roles: user_members, member_roles, roles
#   group_page   a group's users, ORDER BY id LIMIT 50, and their count
#   in           members WHERE id IN (SELECT member_id ... WHERE user_id = $1)
#   audit        a user and the user's last 10 audit rows (LATERAL)
#   eager        an ORM's eager load: 20 members by id = ANY ($1)
#
# Usage: bash test/bench/joins.sh [rounds] [seconds per run]  (default 5, 5)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/test/lib.sh"

ROUNDS=${1:-5}
DUR=${2:-5}
PORT=${PLYSTRA_BENCH_PORT:-54332}
PACKAGES="$PACKAGES bc"	# the ratios
ensure_packages
build_and_install

work=$(pg_workdir joins)
copy_tree "$work/src"
trap 'stop_cluster "$work"; rm -rf "$work"' EXIT
# every table and index of both sides fits in shared buffers, and is read
# into them before the rounds: the runs compare executor paths, not which
# side's pages the previous run left in the cache
start_cluster "$work" "$PORT" "-c shared_buffers=6GB -c synchronous_commit=off -c max_wal_size=8GB"

pg() {
	as_pg env PGHOST="$work" PGPORT="$PORT" PGUSER=postgres "$@"
}
say "loading 1M users, 1M members, 3M memberships, 2M role grants, 3M audit rows (twice)"
pg psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE bench_joins' \
	-c 'CREATE ROLE bench_app LOGIN'
pg psql -X -q -v ON_ERROR_STOP=1 -d bench_joins -c 'CREATE EXTENSION plystra' \
	-c "SELECT plystra.grant_access('bench_app', 'application')"
pg psql -X -q -v ON_ERROR_STOP=1 -d bench_joins -f "$work/src/test/bench/joins_setup.sql"
pg psql -X -q -d bench_joins -c 'CHECKPOINT' -c 'CREATE EXTENSION pg_prewarm' \
	-c "SELECT sum(pg_prewarm(c.oid)) FROM pg_class c
		 WHERE c.relnamespace IN ('plystra_data'::regnamespace, 'bench_plain'::regnamespace)
		   AND c.relkind IN ('r', 'i')" >/dev/null

# transactions per second of one pgbench run of SCRIPT
tps() {
	local script=$1 out
	out=$(pg pgbench -U bench_app -n -M prepared -c 2 -j 2 -T "$DUR" \
		-f "$work/src/test/bench/$script" bench_joins 2>&1) || {
		echo "$out" >&2
		exit 1
	}
	echo "$out" | awk '/^tps = / { print $3 }'
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

QUERIES="memberships two_hops group_page in audit eager"
# warm up: every table and index the queries read, both sides
for q in $QUERIES; do
	tps "join_${q}_view.sql" >/dev/null
	tps "join_${q}_plain.sql" >/dev/null
done

declare -A rate
for r in $(seq 1 "$ROUNDS"); do
	line="round $r:"
	for q in $QUERIES; do
		# alternate which side goes first
		if [ $((r % 2)) -eq 1 ]; then
			v=$(tps "join_${q}_view.sql")
			p=$(tps "join_${q}_plain.sql")
		else
			p=$(tps "join_${q}_plain.sql")
			v=$(tps "join_${q}_view.sql")
		fi
		rate[$q,view]="${rate[$q,view]:-} $v"
		rate[$q,plain]="${rate[$q,plain]:-} $p"
		line="$line $q $(echo "$p / $v" | bc -l | cut -c1-5)"
	done
	echo "$line"
done

echo
for q in $QUERIES; do
	v=$(printf '%s\n' ${rate[$q,view]} | median)
	p=$(printf '%s\n' ${rate[$q,plain]} | median)
	printf '%-12s through plystra.* %.0f tps, hand-written on plain tables %.0f tps, ratio %.3f (target <= 1.10)\n' \
		"$q" "$v" "$p" "$(echo "$p / $v" | bc -l)"
done
