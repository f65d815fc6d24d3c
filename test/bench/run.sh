#!/usr/bin/env bash
# test/bench/run.sh - benchmarks, each measured against its baseline in the
# same run, on a throwaway cluster: interleaved rounds, medians, ratios.
#
#   migrate:  plystra.migrate() vs a hand-written PL/pgSQL equivalent
#             (migrate_setup.sql), 1,000 small migrations per round, one
#             transaction each; ratio = time(C) / time(PL/pgSQL)
#   checksum: plystra.migration_checksum() vs sha256() on the same 10 MB
#             script; ratio = time(checksum) / time(sha256)
#   audit:    single-row INSERT into plystra.audit_logs vs the same INSERT
#             into a plain partitioned table with the same columns,
#             partitions, keys, indexes and foreign key (audit_setup.sql),
#             by an application role, 2 clients, 20,000 each per round
#             (in halves, A B B A); ratio = time(plystra) / time(plain)
#   seals:    audit_seal() and audit_verify() of the audit log (1,000,000
#             rows and more): rows per second, against sha256() over each
#             row's text in the same run
#   purge:    audit_purge() of 1,000,000 sealed rows (whole partitions): rows per second
#   lookup:   PK lookup through plystra.users vs the same on a plain copy
#             of the table (1,000,000 rows), 50,000 per round
#   delete:   DELETE of one row through plystra.users (C trigger) vs the
#             hand-written UPDATE plystra.users SET deleted_at = now() and
#             vs the same INSTEAD OF trigger in PL/pgSQL; 2,000 per round,
#             each row deleted once (soft_delete_setup.sql)
#   insert:   INSERT through plystra.users vs into plystra_data.users
#   ops:      drift_check() and doctor() with 1M audit rows and 1M users
#             (database bench_ops), and again in the bench database, which
#             also holds the 10,000 migrations of the migrate rounds
#
# Usage: bash test/bench/run.sh [rounds]   (default 5)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/test/lib.sh"

ROUNDS=${1:-5}
PORT=${PLYSTRA_BENCH_PORT:-54331}
PACKAGES="$PACKAGES bc"	# the ratios
ensure_packages
build_and_install

work=$(pg_workdir bench)
copy_tree "$work/src"
trap 'stop_cluster "$work"' EXIT
# every table of the benchmarks fits in shared buffers, and commits do not
# wait for the disk: the runs compare executor paths, not which table the
# page cache happens to hold or how long an fsync takes
start_cluster "$work" "$PORT" "-c shared_buffers=2GB -c synchronous_commit=off"

pg() {
	as_pg env PGHOST="$work" PGPORT="$PORT" PGUSER=postgres "$@"
}
pg psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE bench'
pg psql -X -q -v ON_ERROR_STOP=1 -d bench -c 'CREATE EXTENSION plystra' \
	-c 'SELECT count(*) FROM plystra.audit_maintain()'
pg psql -X -q -v ON_ERROR_STOP=1 -d bench -f "$work/src/test/bench/migrate_setup.sql"
pg psql -X -q -v ON_ERROR_STOP=1 -d bench -f "$work/src/test/bench/audit_setup.sql"
pg psql -X -q -v ON_ERROR_STOP=1 -d bench -f "$work/src/test/bench/soft_delete_setup.sql"

# seconds taken by one pgbench run: SCRIPT TRANSACTIONS ROUND [CLIENTS [ROLE]]
timed() {
	local script=$1 n=$2 round=$3 clients=${4:-1} role=${5:-postgres} out
	out=$(pg pgbench -U "$role" -n -M prepared -c "$clients" -j "$clients" -t "$n" -D round="$round" \
		-f "$work/src/test/bench/$script" bench 2>&1) || {
		echo "$out" >&2
		exit 1
	}
	# pgbench reports tps; time = transactions / tps
	echo "$out" | awk -v n="$n" -v c="$clients" '/^tps = / { printf "%.6f\n", n * c / $3 }'
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# warm up: read both users tables once
pg psql -X -q -d bench -c 'SELECT count(*) FROM plystra_data.users' -c 'SELECT count(*) FROM bench_users_plain' \
	-c 'SELECT sum(id) FROM (SELECT id FROM plystra_data.users ORDER BY id) s' \
	-c 'SELECT sum(id) FROM (SELECT id FROM bench_users_plain ORDER BY id) s' >/dev/null
timed lookup_view.sql 20000 0 >/dev/null
timed lookup_plain.sql 20000 0 >/dev/null

# before each pair of audit runs: write out what the earlier runs dirtied
# and vacuum both tables, so that neither side of the pair pays for a
# checkpoint or an autovacuum the other one caused
settle() {
	pg psql -X -q -d bench -c 'CHECKPOINT' -c 'VACUUM ANALYZE plystra_data.audit_logs, bench_audit_plain'
}

# the audit INSERT pair of a round, 2 x 20,000 a side, run as A B B A in
# halves of 10,000 (FIRST is A), so that a drift of the machine's speed
# during the round weighs on both sides alike; appends to ap and an
audit_pair() {
	local first=$1 second=$2 r=$3 a1 b1 b2 a2
	a1=$(timed "audit_insert_$first.sql" 10000 "$r" 2 bench_app)
	b1=$(timed "audit_insert_$second.sql" 10000 "$r" 2 bench_app)
	b2=$(timed "audit_insert_$second.sql" 10000 "$r" 2 bench_app)
	a2=$(timed "audit_insert_$first.sql" 10000 "$r" 2 bench_app)
	if [ "$first" = plystra ]; then
		ap+=("$(echo "$a1 + $a2" | bc -l)")
		an+=("$(echo "$b1 + $b2" | bc -l)")
	else
		an+=("$(echo "$a1 + $a2" | bc -l)")
		ap+=("$(echo "$b1 + $b2" | bc -l)")
	fi
}

declare -a mc mp cc cs ap an lv lp dc dp du iv is
for r in $(seq 1 "$ROUNDS"); do
	# alternate which side goes first
	if [ $((r % 2)) -eq 1 ]; then
		mc+=("$(timed migrate_c.sql 1000 "$r")")
		mp+=("$(timed migrate_plpgsql.sql 1000 "$r")")
		cc+=("$(timed checksum_c.sql 20 "$r")")
		cs+=("$(timed checksum_sha256.sql 20 "$r")")
		settle
		audit_pair plystra plain "$r"
		lv+=("$(timed lookup_view.sql 50000 "$r")")
		lp+=("$(timed lookup_plain.sql 50000 "$r")")
		dc+=("$(timed delete_c.sql 2000 "$r")")
		dp+=("$(timed delete_plpgsql.sql 2000 "$r")")
		du+=("$(timed delete_update.sql 2000 "$r")")
		iv+=("$(timed insert_view.sql 5000 "$r")")
		is+=("$(timed insert_storage.sql 5000 "$r")")
	else
		mp+=("$(timed migrate_plpgsql.sql 1000 "$r")")
		mc+=("$(timed migrate_c.sql 1000 "$r")")
		cs+=("$(timed checksum_sha256.sql 20 "$r")")
		cc+=("$(timed checksum_c.sql 20 "$r")")
		settle
		audit_pair plain plystra "$r"
		lp+=("$(timed lookup_plain.sql 50000 "$r")")
		lv+=("$(timed lookup_view.sql 50000 "$r")")
		du+=("$(timed delete_update.sql 2000 "$r")")
		dp+=("$(timed delete_plpgsql.sql 2000 "$r")")
		dc+=("$(timed delete_c.sql 2000 "$r")")
		is+=("$(timed insert_storage.sql 5000 "$r")")
		iv+=("$(timed insert_view.sql 5000 "$r")")
	fi
	echo "round $r: migrate C ${mc[-1]}s, PL/pgSQL ${mp[-1]}s; checksum ${cc[-1]}s, sha256 ${cs[-1]}s; audit insert ${ap[-1]}s, plain ${an[-1]}s"
	echo "round $r: lookup view ${lv[-1]}s, plain ${lp[-1]}s; delete C ${dc[-1]}s, PL/pgSQL ${dp[-1]}s, UPDATE ${du[-1]}s; insert view ${iv[-1]}s, storage ${is[-1]}s"
done

m_c=$(printf '%s\n' "${mc[@]}" | median)
m_p=$(printf '%s\n' "${mp[@]}" | median)
c_c=$(printf '%s\n' "${cc[@]}" | median)
c_s=$(printf '%s\n' "${cs[@]}" | median)
a_p=$(printf '%s\n' "${ap[@]}" | median)
a_n=$(printf '%s\n' "${an[@]}" | median)
l_v=$(printf '%s\n' "${lv[@]}" | median)
l_p=$(printf '%s\n' "${lp[@]}" | median)
d_c=$(printf '%s\n' "${dc[@]}" | median)
d_p=$(printf '%s\n' "${dp[@]}" | median)
d_u=$(printf '%s\n' "${du[@]}" | median)
i_v=$(printf '%s\n' "${iv[@]}" | median)
i_s=$(printf '%s\n' "${is[@]}" | median)

# purge: 1,000,000 rows dated a year back (inserted by the owner, which
# keeps the time it sends, as a restore does)
pg psql -X -q -v ON_ERROR_STOP=1 -d bench -c "INSERT INTO plystra_data.audit_logs (event_type, created_at, details)
	SELECT 'user.login.failed', now() - interval '1 year' - i * interval '1 second', '{}'
	  FROM generate_series(1, 1000000) i"
# (they went to the default partition: the maintenance gives them theirs)
pg psql -X -q -d bench -c 'SELECT count(*) FROM plystra.audit_maintain()' \
	-c 'VACUUM ANALYZE plystra_data.audit_logs'

# drift_check() and doctor() on 1M audit rows and 1M users, in DB: the
# median of 5 first calls of a new session, and of calls 2 to 5 of one
# session (the catalog caches and compiled functions of the first call
# serve the later ones); prints "drift_cold doctor_cold drift_warm doctor_warm"
ops_times() {
	local db=$1 q i
	local -a cold_d cold_o
	first_ms() {
		pg psql -X -At -d "$db" -c '\timing on' -c "$1" |
			sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1
	}
	warm_ms() {
		pg psql -X -At -d "$db" -c '\timing on' -c "$1" -c "$1" -c "$1" -c "$1" -c "$1" |
			sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 4 | median
	}
	for i in 1 2 3 4 5; do
		cold_d+=("$(first_ms 'SELECT count(*) FROM plystra.drift_check()')")
		cold_o+=("$(first_ms 'SELECT count(*) FROM plystra.doctor()')")
	done
	echo "$(printf '%s\n' "${cold_d[@]}" | median) $(printf '%s\n' "${cold_o[@]}" | median)" \
		"$(warm_ms 'SELECT count(*) FROM plystra.drift_check()')" \
		"$(warm_ms 'SELECT count(*) FROM plystra.doctor()')"
}
# the bench database also holds the 10,000 migrations (and their audit
# rows) of the migrate rounds, which migrate_verify() checks one by one
read -r drift_ms doctor_ms drift_warm_ms doctor_warm_ms <<<"$(ops_times bench)"
# a database with only the extension's own migrations, 1M users and 1M
# audit rows
pg psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE bench_ops'
pg psql -X -q -v ON_ERROR_STOP=1 -d bench_ops -c 'CREATE EXTENSION plystra' \
	-c "INSERT INTO plystra_data.users (email, display_name)
		SELECT 'u' || i || '@bench.test', 'User ' || i FROM generate_series(1, 1000000) i" \
	-c "INSERT INTO plystra_data.audit_logs (event_type, created_at, details)
		SELECT 'user.login.failed', now() - interval '1 year' - i * interval '1 second', '{}'
		  FROM generate_series(1, 1000000) i" \
	-c 'SELECT count(*) FROM plystra.audit_maintain()' \
	-c 'VACUUM ANALYZE'
read -r ops_drift_ms ops_doctor_ms ops_drift_warm_ms ops_doctor_warm_ms <<<"$(ops_times bench_ops)"
# seals: audit_seal() of every row of the bench database's audit log (the
# 1M rows dated a year back and the rounds' rows), audit_verify() of them,
# and sha256() over each row's text in the same run (each the median of 3);
# then the purge, which finds them sealed
ms_of() {
	pg psql -X -At -d bench -c '\timing on' -c "$1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1
}
audit_rows=$(pg psql -X -At -d bench -c 'SELECT count(*) FROM plystra_data.audit_logs')
# (each seal rolled back, the median of 3, as verification is measured; then
# the seal kept)
seal_ms=$(for i in 1 2 3; do
	pg psql -X -At -d bench -c 'BEGIN' -c '\timing on' -c 'SELECT plystra.audit_seal()' -c 'ROLLBACK' |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | head -n 1
done | median)
# (again in one session: BEGIN, the seal, ROLLBACK, 4 times; the 2nd to
# 4th seals' times; a new session's first pass pays for mapping the shared
# buffers it reads into its process, page faults that cost much here)
seal_warm_ms=$(pg psql -X -At -d bench -c '\timing on' \
	-c 'BEGIN' -c 'SELECT plystra.audit_seal()' -c 'ROLLBACK' \
	-c 'BEGIN' -c 'SELECT plystra.audit_seal()' -c 'ROLLBACK' \
	-c 'BEGIN' -c 'SELECT plystra.audit_seal()' -c 'ROLLBACK' \
	-c 'BEGIN' -c 'SELECT plystra.audit_seal()' -c 'ROLLBACK' |
	sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk 'NR % 3 == 2' | tail -n 3 | median)
pg psql -X -q -d bench -c 'SELECT plystra.audit_seal()' >/dev/null
verify_ms=$(for i in 1 2 3; do ms_of 'SELECT count(*) FROM plystra.audit_verify()'; done | median)
sha_q="SELECT sum(length(sha256(convert_to(a::text, 'UTF8')))) FROM plystra_data.audit_logs a"
sha_ms=$(for i in 1 2 3; do ms_of "$sha_q"; done | median)
# verification and sha256() called again in one session (the median of
# calls 2 to 4)
warm_of() {
	pg psql -X -At -d bench -c '\timing on' -c "$1" -c "$1" -c "$1" -c "$1" |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 3 | median
}
verify_warm_ms=$(warm_of 'SELECT count(*) FROM plystra.audit_verify()')
sha_warm_ms=$(warm_of "$sha_q")
purge_out=$(pg psql -X -At -d bench -c '\timing on' -c "SELECT plystra.audit_purge(now() - interval '180 days')")
purged=$(echo "$purge_out" | grep -E '^[0-9]+$' | head -n 1)
purge_ms=$(echo "$purge_out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
bytes=$(pg psql -X -At -d bench -c 'SELECT octet_length(s) FROM bench_script')

echo
printf 'migrate(), 1000 migrations: C %.3f s, PL/pgSQL %.3f s, ratio %.2f (target <= 1.0)\n' \
	"$m_c" "$m_p" "$(echo "$m_c / $m_p" | bc -l)"
printf 'migration_checksum(), %d bytes x 20: %.3f s, sha256() %.3f s, ratio %.2f (target <= 1.3)\n' \
	"$bytes" "$c_c" "$c_s" "$(echo "$c_c / $c_s" | bc -l)"
printf 'audit_logs INSERT, 2 x 20000: plystra.audit_logs %.3f s, plain partitioned table %.3f s, ratio %.3f (target <= 1.05)\n' \
	"$a_p" "$a_n" "$(echo "$a_p / $a_n" | bc -l)"
printf 'PK lookup, 50000: plystra.users %.3f s, plain table %.3f s, ratio %.3f (target <= 1.05)\n' \
	"$l_v" "$l_p" "$(echo "$l_v / $l_p" | bc -l)"
printf 'soft delete, 2000: DELETE (C trigger) %.3f s, UPDATE SET deleted_at %.3f s, ratio %.3f (target <= 1.10); PL/pgSQL trigger %.3f s, ratio %.3f\n' \
	"$d_c" "$d_u" "$(echo "$d_c / $d_u" | bc -l)" "$d_p" "$(echo "$d_p / $d_u" | bc -l)"
printf 'INSERT, 5000: through plystra.users %.3f s, into plystra_data.users %.3f s, ratio %.3f (target <= 1.1)\n' \
	"$i_v" "$i_s" "$(echo "$i_v / $i_s" | bc -l)"
printf 'drift_check() / doctor(), 1M audit rows and 1M users: %.1f / %.1f ms first call of a session, %.1f / %.1f ms called again (target < 100 ms each)\n' \
	"$ops_drift_ms" "$ops_doctor_ms" "$ops_drift_warm_ms" "$ops_doctor_warm_ms"
printf 'drift_check() / doctor(), the same with 10,000 migrations of applications: %.1f / %.1f ms first call of a session, %.1f / %.1f ms called again\n' \
	"$drift_ms" "$doctor_ms" "$drift_warm_ms" "$doctor_warm_ms"
printf 'audit_seal() / audit_verify(), %d rows: %.0f / %.0f ms, %.0f / %.0f rows/s (target >= 1M rows/s); sha256() over each row'"'"'s text %.0f ms, %.0f rows/s\n' \
	"$audit_rows" "$seal_ms" "$verify_ms" "$(echo "$audit_rows / ($seal_ms / 1000)" | bc -l)" \
	"$(echo "$audit_rows / ($verify_ms / 1000)" | bc -l)" "$sha_ms" "$(echo "$audit_rows / ($sha_ms / 1000)" | bc -l)"
printf 'the same called again in one session: %.0f / %.0f ms, %.0f / %.0f rows/s; sha256() %.0f ms, %.0f rows/s\n' \
	"$seal_warm_ms" "$verify_warm_ms" "$(echo "$audit_rows / ($seal_warm_ms / 1000)" | bc -l)" \
	"$(echo "$audit_rows / ($verify_warm_ms / 1000)" | bc -l)" "$sha_warm_ms" "$(echo "$audit_rows / ($sha_warm_ms / 1000)" | bc -l)"
printf 'audit_purge(): %d rows in %.0f ms, %.0f rows/s\n' \
	"$purged" "$purge_ms" "$(echo "$purged / ($purge_ms / 1000)" | bc -l)"
