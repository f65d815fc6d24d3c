#!/usr/bin/env bash
# test/bench/audit_100m.sh - the audit log at 100 million rows: the manual
# run of issue 17, not part of the suite (about an hour and 45 GB of disk
# here).
#
# ROWS audit rows (default 100,000,000) spread over the MONTHS months
# (default 12) that ended a month ago, one monthly partition each, then:
#   load:     time and rows per second of loading them (by the storage
#             owner, which keeps the times it sends, as a restore does)
#   size:     the audit log on disk, in all and per partition
#   lookups:  by id (every partition's primary key is probed: nothing
#             prunes on id) and by id with a one-day range of created_at
#             (one partition), and a one-day count, in ms per query
#   insert:   single-row INSERT into plystra.audit_logs vs a plain
#             partitioned table with the same partitions, keys, indexes
#             and foreign key (audit_setup.sql), same run, 3 rounds.  The
#             rows of both land in the current month's partition, which
#             the 100M historical rows do not touch, so the plain table's
#             old partitions are left empty.
#   doctor:   doctor() and drift_check(), first call of a new session and
#             called again
#   seals:    audit_seal() of all the rows, and audit_verify() of them
#   purge:    audit_purge() month by month, oldest first, until all the
#             rows are gone (whole seals, one a month): each purge's
#             statement and commit, and the size after
#
# Usage: bash test/bench/audit_100m.sh [rows [months]]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/test/lib.sh"

ROWS=${1:-100000000}
MONTHS=${2:-12}
PORT=${PLYSTRA_BENCH_PORT:-54335}
PACKAGES="$PACKAGES bc"
ensure_packages
build_and_install

work=$(pg_workdir bench-100m)
copy_tree "$work/src"
trap 'stop_cluster "$work"' EXIT
start_cluster "$work" "$PORT" "-c shared_buffers=1GB -c max_wal_size=4GB -c checkpoint_timeout=30min -c synchronous_commit=off -c maintenance_work_mem=512MB"

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
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
mb() { echo "scale=1; $1 / 1048576" | bc; }
size() { q -Atc "SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree('plystra_data.audit_logs')"; }
free_gb() { df -P --block-size=1G "$work" | awk 'NR == 2 { print $4 }'; }

pg psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE bench'
q -c 'CREATE EXTENSION plystra' -c 'SELECT count(*) FROM plystra.audit_maintain()' >/dev/null
q -c "INSERT INTO plystra.audit_event_types (key, description) VALUES ('app.event', 'bench')"

# the months: from MONTHS + 1 months back to the start of last month, UTC;
# one row at each month's start lands in the default partition, and the
# maintenance makes those months' partitions and moves the rows there
first=$(q -Atc "SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '$((MONTHS + 1)) months') AT TIME ZONE 'UTC'")
for m in $(seq 0 $((MONTHS - 1))); do
	q -c "INSERT INTO plystra_data.audit_logs (event_type, created_at) VALUES ('app.event', timestamptz '$first' + interval '$m months')"
done
q -c 'SELECT count(*) FROM plystra.audit_maintain()' >/dev/null

cols="created_at, event_type, actor_user_id, actor_role, target_type, target_id, request_id, ip, user_agent, details"
per=$((ROWS / MONTHS))
declare -a loads
say "loading $ROWS rows, $per a month, from $first"
for m in $(seq 0 $((MONTHS - 1))); do
	[ "$(free_gb)" -ge 6 ] || die "less than 6 GB of disk left after $m months"
	from=$(q -Atc "SELECT timestamptz '$first' + interval '$m months'")
	to=$(q -Atc "SELECT timestamptz '$first' + interval '$((m + 1)) months'")
	n=$per
	[ "$m" -eq $((MONTHS - 1)) ] && n=$((ROWS - per * (MONTHS - 1)))
	t=$(seconds q -c "INSERT INTO plystra_data.audit_logs ($cols)
		SELECT timestamptz '$from' + (timestamptz '$to' - timestamptz '$from') * (i::float8 / ($n + 1)),
			'app.event', i % 5000, 'app', 'user', (i % 100000)::text, md5(i::text),
			inet '10.0.0.1' + (i % 65536), 'Mozilla/5.0 (X11; Linux x86_64)',
			jsonb_build_object('n', i, 'path', '/api/v1/items/' || (i % 1000))
		  FROM generate_series(1, $n) i")
	loads+=("$t")
	echo "month $((m + 1)) of $MONTHS ($from): $n rows in ${t}s, $(free_gb) GB of disk left"
done
load_s=$(printf '%s\n' "${loads[@]}" | paste -sd+ | bc)
q -c 'ANALYZE plystra_data.audit_logs' -c 'CHECKPOINT'
total=$(q -Atc 'SELECT count(*) FROM plystra_data.audit_logs')
size_before=$(size)
part_sizes=$(q -Atc "SELECT min(s), max(s) FROM (SELECT pg_total_relation_size(partition) s
	FROM plystra.audit_partitions() WHERE from_time < now() - interval '1 month' AND NOT is_default) p" | tr '|' ' ')

# lookups, in ms per query: pgbench scripts over the loaded ids
cat >"$work/by_id.sql" <<EOF
\set id random(1, $total)
SELECT * FROM plystra.audit_logs WHERE id = :id;
EOF
cat >"$work/by_id_day.sql" <<EOF
\set id random(1, $total)
\set d random(0, $((MONTHS * 28)))
SELECT * FROM plystra.audit_logs WHERE id = :id
   AND created_at >= timestamptz '$first' + :d * interval '1 day'
   AND created_at < timestamptz '$first' + (:d + 1) * interval '1 day';
EOF
cat >"$work/day_count.sql" <<EOF
\set d random(0, $((MONTHS * 28)))
\set u random(0, 4999)
SELECT count(*) FROM plystra.audit_logs WHERE actor_user_id = :u
   AND created_at >= timestamptz '$first' + :d * interval '1 day'
   AND created_at < timestamptz '$first' + (:d + 1) * interval '1 day';
EOF
chown postgres: "$work"/*.sql
ms_per() {
	local out
	out=$(pg pgbench -n -M prepared -t "$2" -f "$work/$1" bench 2>&1) || {
		echo "$out" >&2
		exit 1
	}
	echo "$out" | awk '/^latency average = / { print $4 }'
}
pg psql -X -q -d bench -c 'SELECT count(*) FROM plystra.audit_logs WHERE id < 1000' >/dev/null
by_id=$(ms_per by_id.sql 5000)
by_id_day=$(ms_per by_id_day.sql 5000)
day_count=$(ms_per day_count.sql 2000)
# (empty partitions are scanned sequentially: nothing to read)
parts_by_id=$(q -Atc "EXPLAIN SELECT * FROM plystra.audit_logs WHERE id = 12345" | grep -c ' on audit_logs_' || true)

# single-row INSERT, plystra vs plain, 3 rounds alternating
q -f "$work/src/test/bench/audit_setup.sql"
timed() {
	local out
	out=$(pg pgbench -U bench_app -n -M prepared -c 2 -j 2 -t 20000 -f "$work/src/test/bench/$1" bench 2>&1) || {
		echo "$out" >&2
		exit 1
	}
	echo "$out" | awk '/^tps = / { printf "%.6f\n", 40000 / $3 }'
}
# the partitions the INSERTs go to, vacuumed before each round on both sides
now_part=$(q -Atc "SELECT partition FROM plystra.audit_partitions() WHERE from_time <= now() AND now() < to_time")
declare -a ap an
for r in 1 2 3; do
	q -c 'CHECKPOINT' -c "VACUUM ANALYZE $now_part, plystra_data.audit_logs_default, bench_audit_plain"
	if [ $((r % 2)) -eq 1 ]; then
		ap+=("$(timed audit_insert_plystra.sql)")
		an+=("$(timed audit_insert_plain.sql)")
	else
		an+=("$(timed audit_insert_plain.sql)")
		ap+=("$(timed audit_insert_plystra.sql)")
	fi
	echo "insert round $r: plystra ${ap[-1]}s, plain ${an[-1]}s"
done
a_p=$(printf '%s\n' "${ap[@]}" | median)
a_n=$(printf '%s\n' "${an[@]}" | median)

# doctor() and drift_check(): first call of a new session (median of 3),
# and called again in one session
first_ms() {
	pg psql -X -At -d bench -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1
}
again_ms() {
	pg psql -X -At -d bench -c '\timing on' -c "$1" -c "$1" -c "$1" |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 2 | median
}
doctor_first=$(for i in 1 2 3; do first_ms 'SELECT count(*) FROM plystra.doctor()'; done | median)
doctor_again=$(again_ms 'SELECT count(*) FROM plystra.doctor()')
drift_first=$(for i in 1 2 3; do first_ms 'SELECT count(*) FROM plystra.drift_check()'; done | median)
doctor_report=$(q -Atc "SELECT \"check\" || ': ' || status || ' (' || left(detail, 160) || ')' FROM plystra.doctor() WHERE status <> 'ok'")

# the seals: audit_seal() of every row, then audit_verify() of them
seal_s=$(seconds q -c 'SELECT plystra.audit_seal()')
verify_s=$(seconds q -c 'SELECT count(*) FROM plystra.audit_verify()')
verify_problems=$(q -Atc 'SELECT count(*) FROM plystra.audit_verify()')

# purge the months one by one, oldest first
declare -a stmts commits
for m in $(seq 1 "$MONTHS"); do
	cut=$(q -Atc "SELECT timestamptz '$first' + interval '$m months'")
	timing=$(pg psql -X -q -v ON_ERROR_STOP=1 -d bench -c "SET plystra.audit_min_retention = '1d'" \
		-c 'BEGIN' -c '\timing on' -c "SELECT plystra.audit_purge('$cut')" -c 'COMMIT' |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
	stmts+=("$(echo "$timing" | sed -n 1p)")
	commits+=("$(echo "$timing" | sed -n 2p)")
	echo "purge up to $cut: the statement ${stmts[-1]} ms, its commit ${commits[-1]} ms"
done
size_after=$(size)
left=$(q -Atc "SELECT count(*) FROM plystra_data.audit_logs WHERE created_at < timestamptz '$first' + interval '$MONTHS months'")
purged=$(q -Atc "SELECT sum((details->>'rows')::bigint) FROM plystra_data.audit_logs WHERE event_type = 'audit.purged'")

stat() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "min %.0f, median %.0f, max %.0f", v[1], v[int((NR + 1) / 2)], v[NR] }'; }
echo
echo "rows:          $total in $MONTHS monthly partitions from $first"
printf 'load:          %.0f s, %.0f rows/s (INSERT ... SELECT by the storage owner, one statement a month)\n' \
	"$load_s" "$(echo "$total / $load_s" | bc -l)"
read -r pmin pmax <<<"$part_sizes"
echo "size:          $(mb "$size_before") MB (a month's partition $(mb "$pmin") to $(mb "$pmax") MB, with its 5 indexes)"
echo "lookups (ms):  by id $by_id ($parts_by_id partitions probed), by id and a day $by_id_day, one user's rows of a day (count) $day_count"
printf 'insert:        2 x 20000 single-row INSERTs: plystra.audit_logs %.3f s, plain partitioned table %.3f s, ratio %.3f\n' \
	"$a_p" "$a_n" "$(echo "$a_p / $a_n" | bc -l)"
printf 'doctor:        %.1f ms first call of a session, %.1f ms called again; drift_check() first call %.1f ms\n' \
	"$doctor_first" "$doctor_again" "$drift_first"
echo "doctor says:   ${doctor_report:-all ok}" | paste -sd' '
printf 'seals:         audit_seal() %.0f s, %.0f rows/s; audit_verify() %.0f s, %.0f rows/s, %s problems\n' \
	"$seal_s" "$(echo "$total / $seal_s" | bc -l)" "$verify_s" "$(echo "$total / $verify_s" | bc -l)" "$verify_problems"
echo "purge (ms):    statement $(stat "${stmts[@]}"); commit $(stat "${commits[@]}") (one month each, $MONTHS months)"
echo "after purge:   $(mb "$size_after") MB; $purged rows purged; $left left before the last cutoff"
[ "$left" = 0 ] || die "rows older than the cutoff are left"
