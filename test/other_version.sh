#!/usr/bin/env bash
# test/other_version.sh VERSION - plystra on PostgreSQL 17 (Debian 13) or 18
# (Debian unstable), in a chroot that debootstrap makes from Debian's
# archive (a few minutes the first time; kept for the next run).
#
# Builds and installs the library and scripts in the chroot, starts a
# throwaway cluster there and runs:
#   - test/versions/: what that version (and those between 15 and it) adds
#     that could get around a guard (integrity_pg17: SET EXPRESSION, SET
#     ACCESS METHOD DEFAULT, MAINTAIN);
#     the exit status is theirs;
#   - the pg_regress suite of sql/, for information: its expected output is
#     PostgreSQL 15's, so some tests differ for reasons of the version
#     (doctor's "server version" warns, view definitions print columns
#     without their table, a role error is worded otherwise, ACLs show
#     MAINTAIN; on 18 also CONTEXT lines of errors in extension scripts
#     and NOT NULL constraints, which 18 catalogs); the differing tests and
#     the diff file are printed.
#
# Not part of test/run.sh.  Run as root.  Usage: bash test/other_version.sh 17
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"

v=${1:-}
case "$v" in
	17) suite=trixie ;;
	18) suite=sid ;;
	*) die "usage: bash test/other_version.sh 17|18" ;;
esac
[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap and chroot)"
root=${PLYSTRA_CHROOT:-/var/tmp/plystra-$suite}
port=$((55400 + v))
bin=/usr/lib/postgresql/$v/bin
pgxs=/usr/lib/postgresql/$v/lib/pgxs

if [ ! -x "$root$bin/postgres" ] || [ ! -x "$root$bin/pg_config" ]; then
	command -v debootstrap >/dev/null || {
		say "installing debootstrap"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
	}
	say "making a Debian $suite chroot in $root"
	mkdir -p "$root"
	debootstrap --variant=minbase \
		--include=postgresql-$v,postgresql-server-dev-$v,make,gcc,libc6-dev \
		"$suite" "$root" http://deb.debian.org/debian >"$root.log" 2>&1 || {
		tail -n 20 "$root.log" >&2
		die "debootstrap failed (see $root.log)"
	}
fi

mounted=()
cleanup() {
	chroot "$root" su postgres -c "$bin/pg_ctl -D /tmp/plystra-pg$v/data -m immediate stop" \
		>/dev/null 2>&1 || true
	local m
	for m in "${mounted[@]}"; do umount "$m" 2>/dev/null || true; done
}
trap cleanup EXIT
for m in proc dev/shm; do
	if ! mountpoint -q "$root/$m"; then
		case $m in
			proc) mount -t proc proc "$root/proc" ;;
			dev/shm) mkdir -p "$root/dev/shm" && mount -t tmpfs tmpfs "$root/dev/shm" ;;
		esac
		mounted+=("$root/$m")
	fi
done

say "building plystra against PostgreSQL $v"
rm -rf "$root/src/plystra"
mkdir -p "$root/src/plystra"
tar -C "$top" --exclude=.git --exclude=./results --exclude=./output_iso \
	--exclude=./tmp_check --exclude=./tmp_check_iso --exclude='*.o' \
	--exclude='*.bc' --exclude='*.so' -cf - . | tar -C "$root/src/plystra" -xf -
chroot "$root" make -C /src/plystra -s PG_CONFIG=$bin/pg_config >"$root/src/build.log" 2>&1 || {
	cat "$root/src/build.log" >&2
	die "the build failed"
}
chroot "$root" make -C /src/plystra -s PG_CONFIG=$bin/pg_config install >/dev/null
extdir=$(chroot "$root" $bin/pg_config --sharedir)/extension
install -m 644 "$top"/test/fixtures/plystra_evil/plystra_evil* "$root$extdir"/
chroot "$root" chown -R postgres: /src/plystra

say "starting PostgreSQL $v"
chroot "$root" su postgres -c "rm -rf /tmp/plystra-pg$v && mkdir -p /tmp/plystra-pg$v &&
	$bin/initdb -D /tmp/plystra-pg$v/data -A trust -U postgres -E UTF8 --no-locale >/dev/null &&
	$bin/pg_ctl -D /tmp/plystra-pg$v/data -l /tmp/plystra-pg$v/server.log -w \
		-o \"-p $port -k /tmp/plystra-pg$v -c listen_addresses=''\" start >/dev/null"

regress() {
	chroot "$root" su postgres -c "cd /src/plystra/$1 && $pgxs/src/test/regress/pg_regress \
		--bindir=$bin --host=/tmp/plystra-pg$v --port=$port --inputdir=. \
		--outputdir=/tmp/plystra-pg$v/$2 --dbname=$2 $3"
}

status=0
say "what PostgreSQL $v adds (test/versions/)"
# the checks of every version up to this one
tests=""
for f in "$top"/test/versions/sql/integrity_pg*.sql; do
	n=${f##*integrity_pg}
	n=${n%.sql}
	[ "$n" -le "$v" ] && tests="$tests integrity_pg$n"
done
if [ -n "$tests" ]; then
	regress test/versions plystra_versions "$tests" || status=1
else
	say "no checks for PostgreSQL $v in test/versions/"
fi

say "the pg_regress suite (expected output of PostgreSQL 15; for information)"
chroot "$root" su postgres -c "cd /src/plystra && make -s installcheck PG_CONFIG=$bin/pg_config \
	PGHOST=/tmp/plystra-pg$v PGPORT=$port" | grep -E '^(ok|not ok|#)' || true
[ -f "$root/src/plystra/regression.diffs" ] &&
	say "differences: $root/src/plystra/regression.diffs"
exit $status
