#!/usr/bin/env bash
# test/bench/audit_update.sh - the update of a 1.1 database whose audit log
# holds millions of rows to 1.2 (migration 018: the table becomes the first
# time partition, nothing is rewritten), measured while an application keeps
# writing audit rows.  Not part of the suite: run by hand.
#
# A database at 1.1 gets ROWS audit rows (default 5,000,000, spread over the
# past year, with their indexes); then a psycopg2 client inserts one audit row
# every 10 ms through plystra.audit_logs, as the application's role, while
# ALTER EXTENSION plystra UPDATE runs.  Printed: the table's size, the time
# of the update, the longest time one INSERT took while it ran, how many
# INSERTs failed (must be 0), and that every row is still there.
#
# Usage: bash test/bench/audit_update.sh [rows]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/test/lib.sh"

ROWS=${1:-5000000}
PORT=${PLYSTRA_BENCH_PORT:-54333}
PACKAGES="$PACKAGES python3-psycopg2"
ensure_packages
build_and_install

work=$(pg_workdir bench-update)
trap 'stop_cluster "$work"' EXIT
start_cluster "$work" "$PORT" "-c shared_buffers=1GB -c max_wal_size=8GB -c checkpoint_timeout=30min"

pg() {
	as_pg env PGHOST="$work" PGPORT="$PORT" PGUSER=postgres "$@"
}
psql_bench() {
	pg psql -X -q -v ON_ERROR_STOP=1 -d bench "$@"
}
pg psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE bench'
psql_bench -c "CREATE EXTENSION plystra VERSION '1.1'"
psql_bench -c "CREATE ROLE bench_writer LOGIN"
psql_bench -c "GRANT USAGE ON SCHEMA plystra TO bench_writer" \
	-c "GRANT SELECT, INSERT ON plystra.audit_logs, plystra.audit_event_types TO bench_writer"
psql_bench -c "INSERT INTO plystra.audit_event_types (key, description) VALUES ('app.event', 'bench')"
say "loading $ROWS audit rows at 1.1"
start=$(date +%s.%N)
psql_bench -c "INSERT INTO plystra_data.audit_logs (created_at, event_type, actor_user_id, actor_role,
		target_type, target_id, request_id, ip, user_agent, details)
	SELECT now() - interval '365 days' + i * (interval '365 days' / $ROWS), 'app.event', i % 5000,
		   'app', 'user', (i % 100000)::text, md5(i::text), '10.0.0.1', 'Mozilla/5.0 (X11; Linux x86_64)',
		   jsonb_build_object('n', i, 'path', '/api/v1/items/' || (i % 1000))
	  FROM generate_series(1, $ROWS) i" -c 'VACUUM ANALYZE plystra_data.audit_logs' -c 'CHECKPOINT'
loaded=$(echo "$(date +%s.%N) - $start" | bc)
size=$(psql_bench -Atc "SELECT pg_size_pretty(pg_total_relation_size('plystra_data.audit_logs'))")
before=$(psql_bench -Atc "SELECT count(*) || ' ' || max(id) FROM plystra_data.audit_logs")
say "loaded in ${loaded}s: $size, rows and largest id: $before"

# the application: one INSERT every 10 ms, each timed, until told to stop
cat >"$work/writer.py" <<'PY'
import os, sys, time, psycopg2
conn = psycopg2.connect(host=sys.argv[1], port=sys.argv[2], dbname="bench", user="bench_writer")
conn.autocommit = True
cur = conn.cursor()
longest = 0.0
n = failed = 0
stop = sys.argv[3]
while not os.path.exists(stop):
    t = time.monotonic()
    try:
        cur.execute("INSERT INTO plystra.audit_logs (event_type, target_id) VALUES ('app.event', 'during')")
        n += 1
    except Exception as e:
        failed += 1
        print("failed:", e, file=sys.stderr)
    longest = max(longest, time.monotonic() - t)
    time.sleep(0.01)
print(n, failed, "%.3f" % longest)
PY
chmod 644 "$work/writer.py"
rm -f "$work/stop"
as_pg /usr/bin/python3 "$work/writer.py" "$work" "$PORT" "$work/stop" >"$work/writer.out" &
writer=$!
sleep 2
say "ALTER EXTENSION plystra UPDATE while the writer inserts every 10 ms"
start=$(date +%s.%N)
psql_bench -c 'ALTER EXTENSION plystra UPDATE'
took=$(echo "$(date +%s.%N) - $start" | bc)
sleep 2
as_pg touch "$work/stop"
wait "$writer"
read -r inserted failed longest <"$work/writer.out"
after=$(psql_bench -Atc "SELECT count(*) FILTER (WHERE target_id IS DISTINCT FROM 'during') || ' '
		|| max(id) FILTER (WHERE target_id IS DISTINCT FROM 'during') FROM plystra_data.audit_logs")
parts=$(psql_bench -Atc "SELECT string_agg(partition::text, ', ') FROM plystra.audit_partitions()")
echo "rows:              $ROWS ($size), loaded in ${loaded}s"
echo "update 1.1 -> 1.2: ${took}s"
echo "writer:            $inserted inserts, $failed failed, longest ${longest}s"
echo "rows before:       $before (count, largest id)"
echo "rows after:        $after"
echo "partitions:        $parts"
[ "$failed" -eq 0 ] && [ "$before" = "$after" ] || die "rows were lost or inserts failed"
