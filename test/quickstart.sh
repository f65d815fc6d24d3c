#!/usr/bin/env bash
# test/quickstart.sh - the main job: install what is missing, build and
# install plystra, start a throwaway cluster, create the extension at 1.0,
# update it with README's upgrade procedure (plystractl upgrade: back up,
# update, verify, drift check, doctor), and print its state and doctor's
# report.  Safe to run again: the previous throwaway cluster is stopped and
# replaced.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"

DIR=${PLYSTRA_QUICKSTART_DIR:-/tmp/plystra-quickstart}
PORT=${PLYSTRA_QUICKSTART_PORT:-54330}

ensure_packages
build_and_install

stop_cluster "$DIR"
rm -rf "$DIR"
pg_dir "$DIR"
say "starting a throwaway cluster in $DIR (socket $DIR, port $PORT)"
start_cluster "$DIR" "$PORT"

psql_q() {
	as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres "$@"
}
psql_q -d postgres -c "CREATE DATABASE plystra"
say "CREATE EXTENSION plystra VERSION '1.0'"
psql_q -d plystra -c "CREATE EXTENSION plystra VERSION '1.0'"
say "plystractl upgrade: back up, ALTER EXTENSION plystra UPDATE, verify, drift check, doctor"
pg_dir "$DIR/backups"
# (exit status 1: done, doctor warned; the report below shows why)
rc=0
as_pg env PGHOST="$DIR" PGPORT="$PORT" PGUSER=postgres \
	"$PGBIN/plystractl" upgrade --all-databases --backup "$DIR/backups" >"$DIR/upgrade.log" 2>&1 || rc=$?
if [ "$rc" -gt 1 ]; then
	cat "$DIR/upgrade.log" >&2
	die "the upgrade procedure failed"
fi
grep -E '^(backup|update|migrate_verify|drift_check|upgrade)' "$DIR/upgrade.log"
psql_q -d plystra -P pager=off \
	-c "SELECT extname, extversion, n.nspname AS schema FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE extname = 'plystra'" \
	-c "SELECT name, extension_version, checksum, applied_at, applied_by, execution_time FROM plystra.schema_migrations WHERE component = 'plystra' ORDER BY name" \
	-c "SELECT * FROM plystra.migrate_verify()" \
	-c "SELECT count(*) AS drift FROM plystra.drift_check()"
say "plystractl doctor"
rc=0
as_pg env PGHOST="$DIR" PGPORT="$PORT" PGUSER=postgres "$PGBIN/plystractl" doctor -d plystra || rc=$?
[ "$rc" -le 1 ] || die "doctor reports a failed check"

say "the cluster keeps running; connect with: psql -h $DIR -p $PORT -U postgres plystra"
say "stop it with: runuser -u postgres -- $PGBIN/pg_ctl -D $DIR/data stop"
