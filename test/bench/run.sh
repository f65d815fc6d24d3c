#!/usr/bin/env bash
# test/bench/run.sh - benchmarks, each measured against its baseline in the
# same run, on a throwaway cluster: interleaved rounds, medians, ratios.
#
#   migrate:  plystra.migrate() vs a hand-written PL/pgSQL equivalent
#             (migrate_setup.sql), 1,000 small migrations per round, one
#             transaction each; ratio = time(C) / time(PL/pgSQL)
#   checksum: plystra.migration_checksum() vs sha256() on the same 10 MB
#             script; ratio = time(checksum) / time(sha256)
#
# Usage: bash test/bench/run.sh [rounds]   (default 5)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/test/lib.sh"

ROUNDS=${1:-5}
PORT=${PLYSTRA_BENCH_PORT:-54331}
ensure_packages
build_and_install

work=$(mktemp -d /tmp/plystra-bench.XXXXXX)
chmod 755 "$work"
[ "$(id -u)" -eq 0 ] && chown postgres: "$work"
copy_tree "$work/src"
trap 'stop_cluster "$work"' EXIT
start_cluster "$work" "$PORT"

pg() {
	as_pg env PGHOST="$work" PGPORT="$PORT" PGUSER=postgres "$@"
}
pg psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE bench'
pg psql -X -q -v ON_ERROR_STOP=1 -d bench -c 'CREATE EXTENSION plystra'
pg psql -X -q -v ON_ERROR_STOP=1 -d bench -f "$work/src/test/bench/migrate_setup.sql"

# seconds taken by one pgbench run: SCRIPT TRANSACTIONS ROUND
timed() {
	local script=$1 n=$2 round=$3 out
	out=$(pg pgbench -n -M prepared -c 1 -t "$n" -D round="$round" \
		-f "$work/src/test/bench/$script" bench 2>&1) || {
		echo "$out" >&2
		exit 1
	}
	# pgbench reports tps; time = transactions / tps
	echo "$out" | awk -v n="$n" '/^tps = / { printf "%.6f\n", n / $3 }'
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

declare -a mc mp cc cs
for r in $(seq 1 "$ROUNDS"); do
	# alternate which side goes first
	if [ $((r % 2)) -eq 1 ]; then
		mc+=("$(timed migrate_c.sql 1000 "$r")")
		mp+=("$(timed migrate_plpgsql.sql 1000 "$r")")
		cc+=("$(timed checksum_c.sql 20 "$r")")
		cs+=("$(timed checksum_sha256.sql 20 "$r")")
	else
		mp+=("$(timed migrate_plpgsql.sql 1000 "$r")")
		mc+=("$(timed migrate_c.sql 1000 "$r")")
		cs+=("$(timed checksum_sha256.sql 20 "$r")")
		cc+=("$(timed checksum_c.sql 20 "$r")")
	fi
	echo "round $r: migrate C ${mc[-1]}s, PL/pgSQL ${mp[-1]}s; checksum ${cc[-1]}s, sha256 ${cs[-1]}s"
done

m_c=$(printf '%s\n' "${mc[@]}" | median)
m_p=$(printf '%s\n' "${mp[@]}" | median)
c_c=$(printf '%s\n' "${cc[@]}" | median)
c_s=$(printf '%s\n' "${cs[@]}" | median)
bytes=$(pg psql -X -At -d bench -c 'SELECT octet_length(s) FROM bench_script')

echo
printf 'migrate(), 1000 migrations: C %.3f s, PL/pgSQL %.3f s, ratio %.2f (target <= 1.0)\n' \
	"$m_c" "$m_p" "$(echo "$m_c / $m_p" | bc -l)"
printf 'migration_checksum(), %d bytes x 20: %.3f s, sha256() %.3f s, ratio %.2f (target <= 1.3)\n' \
	"$bytes" "$c_c" "$c_s" "$(echo "$c_c / $c_s" | bc -l)"
