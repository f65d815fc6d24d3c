#!/usr/bin/env bash
# test/bench/plystractl.sh - plystractl, the command-line client, measured
# against its baseline in the same run, on a throwaway cluster: interleaved
# rounds, medians, ratios.
#
#   migrate up:  "plystractl migrate up -q --dir DIR" vs the psql loop a
#                team would write (test/apply_migrations.sh: one psql per
#                file, each calling plystra.migrate()), 1,000 small
#                migration files (CREATE TABLE with an index, INSERT,
#                ALTER TABLE, a table with a foreign key, CREATE VIEW) of
#                component bench_app (the directory's name) into a fresh
#                database each, one transaction per file; every round
#                checks that both databases end with the 1,000 rows of
#                history; ratio = time(plystractl) / time(psql loop)
#   status / verify: "plystractl migrate status --dir DIR" and "plystractl
#                migrate verify --dir DIR", and their --json variants, in a
#                database where all 1,000 are applied: the median of 5
#                runs each (read every file, checksum it, read the history,
#                compare)
#
# Times are wall-clock times of the whole command (process start,
# connection, output to a file), as a deploy script sees them.
#
# Usage: bash test/bench/plystractl.sh [rounds]   (default 5)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/test/lib.sh"

ROUNDS=${1:-5}
PORT=${PLYSTRA_BENCH_PORT:-54332}
NFILES=1000
COMPONENT=bench_app
PACKAGES="$PACKAGES bc"	# the ratios
ensure_packages
build_and_install

work=$(pg_workdir bench-ctl)
copy_tree "$work/src"
trap 'stop_cluster "$work"' EXIT
# the same server as test/bench/run.sh: the runs compare client paths, not
# how long an fsync takes
start_cluster "$work" "$PORT" "-c shared_buffers=2GB -c synchronous_commit=off"

pg() {
	as_pg env PGHOST="$work" PGPORT="$PORT" PGUSER=postgres "$@"
}
sql() {
	local db=$1
	shift
	pg psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"
}
command -v "$PGBIN/plystractl" >/dev/null || die "$PGBIN/plystractl is not installed"

# the migration files: a directory the postgres account owns, whose name is
# the component; five kinds of file, each about one table of the previous
# "create table" file
dir=$work/$COMPONENT
pg_dir "$dir"
for i in $(seq 1 "$NFILES"); do
	n=$(printf '%04d' "$i")
	t=$(printf 't%04d' $((i - (i - 1) % 5)))
	case $(((i - 1) % 5)) in
	0)
		cat >"$dir/${n}_create_table_$t.sql" <<-SQL
			-- $t: orders of shop $i
			CREATE TABLE $t (
			    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			    name text NOT NULL,
			    amount numeric(12,2) NOT NULL DEFAULT 0,
			    created_at timestamptz NOT NULL DEFAULT now()
			);
			CREATE INDEX ${t}_created_at_idx ON $t (created_at);
		SQL
		;;
	1)
		cat >"$dir/${n}_seed_$t.sql" <<-SQL
			INSERT INTO $t (name, amount)
			SELECT 'order ' || g, g * 2.50
			  FROM generate_series(1, $((10 + i % 17))) AS g;
		SQL
		;;
	2)
		cat >"$dir/${n}_add_status_to_$t.sql" <<-SQL
			ALTER TABLE $t ADD COLUMN status text NOT NULL DEFAULT 'new'
			    CHECK (status IN ('new', 'paid', 'shipped', 'done'));
			CREATE INDEX ${t}_open_idx ON $t (status) WHERE status <> 'done';
			UPDATE $t SET status = 'paid' WHERE id % 3 = 0;
		SQL
		;;
	3)
		cat >"$dir/${n}_create_table_${t}_items.sql" <<-SQL
			CREATE TABLE ${t}_items (
			    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			    order_id bigint NOT NULL REFERENCES $t (id) ON DELETE CASCADE,
			    sku text NOT NULL,
			    quantity integer NOT NULL CHECK (quantity > 0),
			    unit_price numeric(12,2) NOT NULL
			);
			CREATE INDEX ${t}_items_order_id_idx ON ${t}_items (order_id);
		SQL
		;;
	4)
		cat >"$dir/${n}_create_view_${t}_totals.sql" <<-SQL
			CREATE VIEW ${t}_totals AS
			SELECT o.status, count(DISTINCT o.id) AS orders,
			       coalesce(sum(i.quantity * i.unit_price), 0) AS total
			  FROM $t o LEFT JOIN ${t}_items i ON i.order_id = o.id
			 GROUP BY o.status;
			COMMENT ON VIEW ${t}_totals IS 'Totals of $t by status';
		SQL
		;;
	esac
done
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
[ "$(find "$dir" -name '*.sql' | wc -l)" -eq "$NFILES" ] || die "expected $NFILES files in $dir"

# seconds taken by a command, with 3 decimals: LOG COMMAND...; its output
# goes to LOG, shown when it fails
timed() {
	local log=$1 t0 t1
	shift
	t0=$EPOCHREALTIME
	"$@" >"$log" 2>&1 || {
		cat "$log" >&2
		die "failed: $*"
	}
	t1=$EPOCHREALTIME
	printf '%.3f\n' "$(echo "$t1 - $t0" | bc -l)"
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

new_db() {
	sql postgres -c "CREATE DATABASE $1"
	sql "$1" -c 'CREATE EXTENSION plystra'
}

# the history rows of the component in DB: NFILES, or fail
check_applied() {
	local db=$1 what=$2 n
	n=$(sql "$db" -c "SELECT count(*) FROM plystra.schema_migrations WHERE component = '$COMPONENT'")
	[ "$n" = "$NFILES" ] ||
		die "$what: database $db has $n migrations of component $COMPONENT, not $NFILES"
}

ctl_up() {
	timed "$work/ctl-$1.log" pg plystractl migrate up -q --dir "$dir" -d "$1"
}
psql_loop() {
	timed "$work/psql-$1.log" pg bash "$work/src/test/apply_migrations.sh" "$COMPONENT" "$dir" -d "$1"
}

# the database of the status / verify runs, applied before the rounds: it
# also warms the server and the page cache of the files for both sides
new_db bench_status
timed "$work/ctl-bench_status.log" pg plystractl migrate up -q --dir "$dir" -d bench_status >/dev/null
check_applied bench_status "plystractl migrate up"

declare -a tc tp
for r in $(seq 1 "$ROUNDS"); do
	new_db "bench_ctl_$r"
	new_db "bench_psql_$r"
	sql postgres -c 'CHECKPOINT'
	# alternate which side goes first
	if [ $((r % 2)) -eq 1 ]; then
		c=$(ctl_up "bench_ctl_$r")
		p=$(psql_loop "bench_psql_$r")
	else
		p=$(psql_loop "bench_psql_$r")
		c=$(ctl_up "bench_ctl_$r")
	fi
	check_applied "bench_ctl_$r" "plystractl migrate up"
	check_applied "bench_psql_$r" "the psql loop"
	tc+=("$c")
	tp+=("$p")
	echo "round $r: migrate up plystractl ${c}s, psql loop ${p}s"
	sql postgres -c "DROP DATABASE bench_ctl_$r" -c "DROP DATABASE bench_psql_$r"
done

# status and verify: the median of 5 runs of each; every run must succeed
# (verify exits 0 only when every file is applied, unchanged)
declare -a ss sv sj vj
for i in 1 2 3 4 5; do
	t=$(timed "$work/status.log" pg plystractl migrate status --dir "$dir" -d bench_status)
	ss+=("$t")
	t=$(timed "$work/verify.log" pg plystractl migrate verify --dir "$dir" -d bench_status)
	sv+=("$t")
	t=$(timed "$work/status-json.log" pg plystractl migrate status --json --dir "$dir" -d bench_status)
	sj+=("$t")
	t=$(timed "$work/verify-json.log" pg plystractl migrate verify --json --dir "$dir" -d bench_status)
	vj+=("$t")
done
grep -q "^$NFILES migrations: $NFILES applied, 0 pending" "$work/status.log" || {
	cat "$work/status.log" >&2
	die "migrate status does not report $NFILES applied migrations"
}
grep -q '"ok":true' "$work/verify-json.log" || {
	cat "$work/verify-json.log" >&2
	die "migrate verify --json does not report ok"
}

u_c=$(printf '%s\n' "${tc[@]}" | median)
u_p=$(printf '%s\n' "${tp[@]}" | median)
s_s=$(printf '%s\n' "${ss[@]}" | median)
s_v=$(printf '%s\n' "${sv[@]}" | median)
s_sj=$(printf '%s\n' "${sj[@]}" | median)
s_vj=$(printf '%s\n' "${vj[@]}" | median)

echo
printf 'migrate up, %d files: plystractl %.3f s, psql loop %.3f s, ratio %.2f (target <= 1.0)\n' \
	"$NFILES" "$u_c" "$u_p" "$(echo "$u_c / $u_p" | bc -l)"
printf 'migrate status / verify, %d applied files: %.3f / %.3f s (target < 1 s each)\n' \
	"$NFILES" "$s_s" "$s_v"
printf 'migrate status / verify --json, %d applied files: %.3f / %.3f s (target < 1 s each)\n' \
	"$NFILES" "$s_sj" "$s_vj"
