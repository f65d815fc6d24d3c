#!/bin/sh
# tools/restore-backup.sh - restore a backup tools/upgrade.sh took, at the
# version it was taken at.
#
#   tools/restore-backup.sh VERSION BACKUP DBNAME
#
# pg_dump writes "CREATE EXTENSION plystra" without a version, so a plain
# pg_restore installs the newest version and then fails to load the older
# version's rows.  This restores BACKUP (pg_dump -Fc) into the new, empty
# database DBNAME (created here) with the extension at VERSION, through
# psql in one transaction: either everything is restored or nothing.
# Connects with libpq's environment (PGHOST, PGPORT, PGUSER, ...) as a
# superuser.  Exit status 0 on success, 1 on failure, 2 on wrong usage.
set -eu

[ $# -eq 3 ] || { echo "usage: $0 VERSION BACKUP DBNAME" >&2; exit 2; }
version=$1
backup=$2
db=$3
case $version in
*[!0-9a-z.]* | '') echo "restore-backup.sh: not a version: $version" >&2; exit 2 ;;
esac
[ -r "$backup" ] || { echo "restore-backup.sh: cannot read $backup" >&2; exit 1; }

# the whole archive as SQL first: a damaged archive stops here, before
# anything is restored (a pipe would let psql commit what came through)
sql=$(mktemp "${TMPDIR:-/tmp}/restore-backup.XXXXXX")
trap 'rm -f "$sql"' EXIT
pg_restore -f "$sql" "$backup" ||
	{ echo "restore-backup.sh: cannot read the archive $backup" >&2; exit 1; }
grep -q '^CREATE EXTENSION IF NOT EXISTS plystra WITH SCHEMA plystra;$' "$sql" ||
	{ echo "restore-backup.sh: $backup does not create the extension plystra" >&2; exit 1; }
sed -i "s/^CREATE EXTENSION IF NOT EXISTS plystra WITH SCHEMA plystra;\$/CREATE EXTENSION IF NOT EXISTS plystra WITH SCHEMA plystra VERSION '$version';/" "$sql"
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d "$db" -f "$sql" >/dev/null ||
	{ echo "restore-backup.sh: the restore failed; database $db is left empty" >&2; exit 1; }
installed=$(psql -X -A -t -d "$db" -c "SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'plystra'")
[ "$installed" = "$version" ] ||
	{ echo "restore-backup.sh: restored plystra $installed, not $version" >&2; exit 1; }
echo "database $db restored from $backup with plystra $version"
