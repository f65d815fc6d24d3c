# test/lib.sh - shared by test/quickstart.sh and test/run.sh: install what is
# missing, build and install plystra, and run a throwaway cluster as the
# unprivileged postgres account on its own socket directory and port.
#
# Sourced, not run.  Expects $top (the source tree).

PGVERSION=${PGVERSION:-15}
PGBIN=/usr/lib/postgresql/$PGVERSION/bin
PG_CONFIG=${PG_CONFIG:-$PGBIN/pg_config}
PACKAGES="postgresql-$PGVERSION postgresql-server-dev-$PGVERSION libipc-run-perl make gcc python3-psycopg2 jq
	postgresql-$PGVERSION-pgaudit postgresql-$PGVERSION-cron postgresql-$PGVERSION-repack
	postgresql-$PGVERSION-partman"

say() {
	printf '== %s\n' "$*"
}

die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# Run a command as the postgres account (PostgreSQL refuses to run as root),
# from a directory it can enter (the checkout may be under /root).
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- env PATH="$PGBIN:$PATH" "$@")
	else
		env PATH="$PGBIN:$PATH" "$@"
	fi
}

ensure_packages() {
	local missing="" p
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages:$missing (run as root to install them)"
	say "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# PLYSTRA_COVERAGE=1 in the environment: the build instrumented for gcov
# (test/coverage.sh runs test/run.sh so); make rebuilds the objects when
# the kind of build changes.
build_and_install() {
	local cov=${PLYSTRA_COVERAGE:-}
	say "building plystra with $PG_CONFIG${cov:+ (instrumented for coverage)}"
	make -C "$top" -s PG_CONFIG="$PG_CONFIG" PLYSTRA_COVERAGE="$cov" >/dev/null &&
		make -C "$top" -s PG_CONFIG="$PG_CONFIG" PLYSTRA_COVERAGE="$cov" install >/dev/null
}

# start_cluster DIR PORT [SERVER OPTIONS]: a fresh cluster in DIR/data with
# its socket in DIR.
# No TCP listener, so the port only names the socket and cannot clash with
# a server already running on this machine.
start_cluster() {
	local dir=$1 port=$2 extra=${3:-}
	as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 \
		--no-locale >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		die "initdb failed"
	}
	as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
		-o "-p $port -k $dir -c listen_addresses='' $extra" start >/dev/null || {
		cat "$dir/server.log" >&2
		die "the server did not start"
	}
}

stop_cluster() {
	local dir=$1
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
}

# A copy of the source tree that the postgres account owns, for the test
# programs to write their output into (the checkout may live under /root).
# cluster_args "$@": the arguments of a test that test/run.sh runs against
# its cluster, SOCKETDIR PORT, as $sock and $port
cluster_args() {
	[ $# -eq 2 ] || die "usage: $0 SOCKETDIR PORT"
	sock=$1
	port=$2
}

# pg_dir DIR...: make the directories, for the postgres account to write in
pg_dir() {
	mkdir -p "$@" && chmod 755 "$@" || return 1
	[ "$(id -u)" -eq 0 ] && chown postgres: "$@"
	return 0
}

# pg_workdir NAME: print the name of a new directory /tmp/plystra-NAME.*
# that the postgres account owns (under $PLYSTRA_WORKROOT instead of /tmp
# when set: a benchmark's clusters on another filesystem)
pg_workdir() {
	local dir
	dir=$(mktemp -d "${PLYSTRA_WORKROOT:-/tmp}/plystra-$1.XXXXXX") && pg_dir "$dir" && echo "$dir"
}

copy_tree() {
	local dest=$1
	mkdir -p "$dest"
	tar -C "$top" --exclude=.git --exclude=./results --exclude=./output_iso \
		--exclude=./tmp_check --exclude=./tmp_check_iso --exclude='*.o' \
		--exclude='*.bc' --exclude='*.so' --exclude='*.gcno' --exclude='*.gcda' \
		--exclude=./coverage -cf - . | tar -C "$dest" -xf -
	[ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 && chown -R postgres: "$dest"
	return 0
}
