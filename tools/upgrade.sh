#!/bin/sh
# tools/upgrade.sh - the upgrade procedure of README, as one command.
#
#   tools/upgrade.sh [-b BACKUP_DIR] [-t VERSION] DBNAME
#
# Connects with libpq's environment (PGHOST, PGPORT, PGUSER, ...) as a
# superuser, and for database DBNAME:
#   1. backs it up with pg_dump -Fc into BACKUP_DIR (default: the current
#      directory), named after the database, the installed version and the time;
#   2. runs ALTER EXTENSION plystra UPDATE (TO VERSION with -t), which either
#      completes or changes nothing, then (from 1.2) plystra.audit_maintain(),
#      the audit log's partitions ahead;
#   3. verifies the migration history (plystra.migrate_verify());
#   4. checks for drift (plystra.drift_check());
#   5. prints doctor's report (plystra.doctor()).
# Then it is time to restart the application.
#
# Exit status: 0 when every step passed (doctor may have warned: read it),
# 1 when a step failed (the update failed and changed nothing, or a check
# found problems: the backup is there), 2 on wrong usage.
set -eu

backup_dir=.
target=
usage() {
	echo "usage: $0 [-b BACKUP_DIR] [-t VERSION] DBNAME" >&2
	exit 2
}
while getopts b:t: opt; do
	case $opt in
	b) backup_dir=$OPTARG ;;
	t) target=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
db=$1
case $target in
*[!0-9a-z.]*) echo "upgrade.sh: not a version: $target" >&2; exit 2 ;;
esac

say() { printf '== %s\n' "$*"; }
fail() {
	printf 'upgrade.sh: %s\n' "$*" >&2
	exit 1
}
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }

from=$(q "SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'plystra'") ||
	fail "cannot connect to database $db"
[ -n "$from" ] || fail "extension plystra is not installed in database $db"
to=${target:-$(q "SELECT default_version FROM pg_catalog.pg_available_extensions WHERE name = 'plystra'")}
say "database $db: plystra $from, updating to $to"

# 1. back up
stamp=$(date -u +%Y%m%dT%H%M%SZ)
backup=$backup_dir/$db-plystra-$from-$stamp.dump
say "1. backup: pg_dump -Fc -f $backup"
pg_dump -Fc -f "$backup" -d "$db" || fail "the backup failed; nothing was updated"
echo "to go back to it: tools/restore-backup.sh $from $backup NEW_DATABASE"

# 2. update
if [ "$from" = "$to" ]; then
	say "2. update: already at $to"
else
	say "2. update: ALTER EXTENSION plystra UPDATE TO '$to'"
	q "ALTER EXTENSION plystra UPDATE TO '$to'" ||
		fail "the update failed and changed nothing (see the error above); the backup is $backup"
fi

# the audit log's partitions ahead (1.2 on), before doctor() looks
if [ "$(q "SELECT pg_catalog.to_regprocedure('plystra.audit_maintain()') IS NOT NULL")" = t ]; then
	made=$(q "SELECT pg_catalog.count(*) FROM plystra.audit_maintain()") ||
		fail "the audit log's partitions could not be made (see the error above): run SELECT * FROM plystra.audit_maintain(); the backup is $backup"
	echo "audit partitions: $made made"
fi

# 3. verify the history
say "3. migrate_verify"
problems=$(q "SELECT pg_catalog.string_agg(component || '/' || name || ': ' || problem || ': ' || detail, E'\n') FROM plystra.migrate_verify()")
[ -z "$problems" ] || fail "the migration history has problems:
$problems"
echo "the migration history is intact"

# 4. drift (indexes a DBA added to storage tables are a warning, as
# doctor() says in its drift_check row; any other difference fails)
say "4. drift_check"
drift=$(q "SELECT pg_catalog.string_agg(object_type || ' ' || object || ': ' || drift, E'\n') FROM plystra.drift_check()")
if [ -n "$drift" ]; then
	severity=$(q "SELECT status FROM plystra.doctor() WHERE \"check\" OPERATOR(pg_catalog.=) 'drift_check'")
	[ "$severity" = warn ] || fail "the extension's objects differ from what version $to defines:
$drift"
	echo "no drift but indexes added to storage tables by hand (yours):
$drift"
else
	echo "no drift"
fi

# 5. doctor
say "5. doctor"
psql -X -v ON_ERROR_STOP=1 -d "$db" -c 'SELECT * FROM plystra.doctor()' || fail "doctor() could not run"
failed=$(q "SELECT pg_catalog.string_agg(\"check\", ', ') FROM plystra.doctor() WHERE status = 'fail'")
[ -z "$failed" ] || fail "doctor reports failures: $failed"

say "plystra $to is ready in database $db: restart the application (backup: $backup)"
