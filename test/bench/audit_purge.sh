#!/usr/bin/env bash
# test/bench/audit_purge.sh - retention at scale: audit_purge() of a month
# holding ROWS audit rows (default 10,000,000), which drops that month's
# partition, against the same purge done as before 1.2, by DELETE, from a
# plain table holding the same rows, in the same run.  Not part of the
# suite: run by hand.
#
# Printed: the load times, the sizes before and after each purge (the
# partitioned audit log shrinks by the month's size; the plain table keeps
# its size, its space left to VACUUM), both purge times and their ratio,
# the purge split into its statement and its commit (when PostgreSQL gives
# the files back to the filesystem), and what removing a 1 GB file costs
# the filesystem here.
#
# Usage: bash test/bench/audit_purge.sh [rows]
# (PLYSTRA_WORKROOT=DIR: the cluster in DIR, e.g. on another filesystem)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/test/lib.sh"

ROWS=${1:-10000000}
PORT=${PLYSTRA_BENCH_PORT:-54334}
PACKAGES="$PACKAGES bc"
ensure_packages
build_and_install

work=$(pg_workdir bench-purge)
trap 'stop_cluster "$work"' EXIT
start_cluster "$work" "$PORT" "-c shared_buffers=1GB -c max_wal_size=16GB -c checkpoint_timeout=30min -c synchronous_commit=off"

pg() {
	as_pg env PGHOST="$work" PGPORT="$PORT" PGUSER=postgres "$@"
}
q() {
	pg psql -X -q -v ON_ERROR_STOP=1 -d bench "$@"
}
seconds() {
	local start
	start=$(date +%s.%N)
	"$@" >/dev/null
	echo "$(date +%s.%N) - $start" | bc
}
pg psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE bench'
q -c 'CREATE EXTENSION plystra' -c 'SELECT count(*) FROM plystra.audit_maintain()'
q -c "INSERT INTO plystra.audit_event_types (key, description) VALUES ('app.event', 'bench')"

# the month: the one that ended 13 months ago, in UTC; its partition is
# made by the maintenance, for the one row the owner restores there first
month=$(q -Atc "SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '13 months') AT TIME ZONE 'UTC'")
next=$(q -Atc "SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '12 months') AT TIME ZONE 'UTC'")
q -c "INSERT INTO plystra_data.audit_logs (event_type, created_at) VALUES ('app.event', '$month')" \
	-c 'SELECT count(*) FROM plystra.audit_maintain()'
rows_sql="SELECT '$month'::timestamptz + (timestamptz '$next' - timestamptz '$month') * (i::float8 / ($ROWS + 1)),
		'app.event', i % 5000, 'app', 'user', (i % 100000)::text, md5(i::text), inet '10.0.0.1',
		'Mozilla/5.0 (X11; Linux x86_64)', jsonb_build_object('n', i, 'path', '/api/v1/items/' || (i % 1000))
	  FROM generate_series(1, $ROWS) i"
cols="created_at, event_type, actor_user_id, actor_role, target_type, target_id, request_id, ip, user_agent, details"
say "loading $ROWS rows into the month of $month, in plystra's audit log"
load_p=$(seconds q -c "INSERT INTO plystra_data.audit_logs ($cols) $rows_sql")
# the plain table as before 1.2: one table, the same columns, key, indexes
q -c "CREATE TABLE bench_plain (LIKE plystra_data.audit_logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS)" \
	-c "CREATE SEQUENCE bench_plain_id_seq" \
	-c "ALTER TABLE bench_plain ALTER id SET DEFAULT nextval('bench_plain_id_seq'), ADD PRIMARY KEY (id)" \
	-c "CREATE INDEX ON bench_plain (created_at)" \
	-c "CREATE INDEX ON bench_plain (actor_user_id, created_at)" \
	-c "CREATE INDEX ON bench_plain (target_type, target_id, created_at)" \
	-c "CREATE INDEX ON bench_plain (event_type, created_at)"
say "loading the same rows into a plain table"
load_n=$(seconds q -c "INSERT INTO bench_plain ($cols) $rows_sql")
q -c 'VACUUM ANALYZE' -c 'CHECKPOINT'
# sealed first, as a DBA's schedule would have (a purge seals what is not)
say "audit_seal()"
seal_s=$(seconds q -c 'SELECT plystra.audit_seal()')

size_p() { q -Atc "SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('plystra_data.audit_logs')"; }
size_n() { q -Atc "SELECT pg_total_relation_size('bench_plain')"; }
part=$(q -Atc "SELECT partition FROM plystra.audit_partitions() WHERE from_time = '$month'")
part_size=$(q -Atc "SELECT pg_total_relation_size('$part')")
before_p=$(size_p)
before_n=$(size_n)

say "audit_purge('$next')"
# the statement, and its commit, which gives the month's files back to the
# filesystem (PostgreSQL truncates and unlinks them then)
timing=$(pg psql -X -q -v ON_ERROR_STOP=1 -d bench -c "SET plystra.audit_min_retention = '1d'" \
	-c 'BEGIN' -c '\timing on' -c "SELECT plystra.audit_purge('$next')" -c 'COMMIT' |
	sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
stmt_ms=$(echo "$timing" | sed -n 1p)
commit_ms=$(echo "$timing" | sed -n 2p)
purge_p=$(echo "($stmt_ms + $commit_ms) / 1000" | bc -l)
after_p=$(size_p)
# what freeing 1 GB costs this filesystem (a mount with discard is slow)
as_pg dd if=/dev/zero of="$work/1g" bs=1M count=1024 status=none
sync
rm_1g=$(seconds as_pg rm "$work/1g")
fs=$(findmnt -no FSTYPE,OPTIONS -T "$work" 2>/dev/null | cut -c1-80 || echo unknown)
say "DELETE FROM bench_plain WHERE created_at < '$next'"
purge_n=$(seconds q -c "DELETE FROM bench_plain WHERE created_at < '$next'")
after_n=$(size_n)
left=$(q -Atc "SELECT count(*) FROM plystra_data.audit_logs WHERE created_at < '$next'")
recorded=$(q -Atc "SELECT details FROM plystra_data.audit_logs WHERE event_type = 'audit.purged'")

mb() { echo "scale=1; $1 / 1048576" | bc; }
echo "rows:                $ROWS in the month from $month ($part, $(mb "$part_size") MB)"
echo "load:                plystra ${load_p}s, plain table ${load_n}s"
printf 'audit_seal():        %.1fs, %.0f rows/s (before the purge)\n' "$seal_s" "$(echo "$ROWS / $seal_s" | bc -l)"
printf 'audit_purge():       %.3fs (the statement %.0f ms, its commit %.0f ms); audit log %s MB -> %s MB\n' \
	"$purge_p" "$stmt_ms" "$commit_ms" "$(mb "$before_p")" "$(mb "$after_p")"
echo "filesystem:          $fs; rm of a 1 GB file takes ${rm_1g}s here"
echo "DELETE (plain):      ${purge_n}s; table $(mb "$before_n") MB -> $(mb "$after_n") MB"
printf 'ratio:               %.4f (audit_purge() / DELETE)\n' "$(echo "$purge_p / $purge_n" | bc -l)"
echo "rows left before it: $left"
echo "recorded:            $recorded"
[ "$left" = 0 ] || die "rows older than the cutoff are left"
