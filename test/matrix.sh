#!/usr/bin/env bash
# test/matrix.sh [VERSION...] - the whole suite (test/run.sh: pg_regress,
# isolation, TAP with the upgrade matrix, the extensions DBAs run beside
# plystra) on each PostgreSQL version Debian packages: 15 (bookworm), 17
# (trixie), 18 (unstable).  Default: 15 17 18.
#
# Each version runs in a Debian chroot of its own, built with debootstrap on
# first use and kept for the next runs in $PLYSTRA_CHROOTS (default
# /var/tmp/plystra-chroots/SUITE); a copy of the tree goes into it and
# test/run.sh runs there with PGVERSION set, installing what it needs from
# Debian's archive.  Unstable's Release file may be past its validity date
# on the mirror: apt accepts that for that chroot only.
#
# Ends with one line per version and "N passed, N failed" (the sum of the
# versions' counts); exits non-zero when anything failed.  Run as root.
#
# bash test/matrix.sh --bench [VERSION...]: the benchmarks instead
# (test/bench/run.sh and test/bench/joins.sh, one round each), in the same
# chroots; a version counts as passed when both ran to the end.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"

[ "$(id -u)" -eq 0 ] || die "run as root: debootstrap and chroot need it"
command=test/run.sh
if [ "${1:-}" = --bench ]; then
	command="test/bench/run.sh 1 && bash /plystra/test/bench/joins.sh 1"
	shift
fi
versions=${*:-15 17 18}
chroots=${PLYSTRA_CHROOTS:-/var/tmp/plystra-chroots}
mirror=${PLYSTRA_MIRROR:-http://deb.debian.org/debian}

suite_of() {
	case $1 in
	15) echo bookworm ;;
	17) echo trixie ;;
	18) echo sid ;;
	*) return 1 ;;
	esac
}

for v in $versions; do
	suite_of "$v" >/dev/null || die "PostgreSQL $v: no Debian suite known (15, 17 or 18)"
done
command -v debootstrap >/dev/null || {
	say "installing debootstrap"
	apt-get update -qq >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
		die "cannot install debootstrap"
}

mounted=""
unmount_all() {
	local m
	for m in $mounted; do
		umount -l "$m" 2>/dev/null
	done
	mounted=""
}
trap unmount_all EXIT

# prepare SUITE: the chroot of SUITE, built once; prints its directory
prepare() {
	local suite=$1 root=$chroots/$1
	if [ ! -f "$root/.plystra-ready" ]; then
		rm -rf "$root"
		mkdir -p "$chroots"
		say "building a $suite chroot in $root" >&2
		debootstrap --variant=minbase --include=ca-certificates,perl,make,gcc,libc6-dev \
			"$suite" "$root" "$mirror" >"$chroots/$suite.debootstrap.log" 2>&1 ||
			{ tail -n 20 "$chroots/$suite.debootstrap.log" >&2; return 1; }
		if [ "$suite" = sid ]; then
			echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99plystra-valid-until"
		fi
		printf 'APT::Install-Recommends "false";\n' >"$root/etc/apt/apt.conf.d/99plystra-no-recommends"
		touch "$root/.plystra-ready"
	fi
	echo "$root"
}

# enter ROOT: the kernel file systems the server and the tests need
enter() {
	local root=$1
	mount -t proc proc "$root/proc" && mounted="$mounted $root/proc" || return 1
	mount --rbind /dev "$root/dev" && mounted="$root/dev $mounted" || return 1
	# /tmp stays on disk: the benchmarks' clusters take more than a tmpfs
	# holds; what earlier runs left there goes
	rm -rf "$root"/tmp/plystra-*
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
	return 0
}

passed=0
failed=0
summary=""
for v in $versions; do
	suite=$(suite_of "$v")
	start=$(date +%s)
	log=$chroots/pg$v.log
	if ! root=$(prepare "$suite") || ! enter "$root"; then
		summary="$summary
PostgreSQL $v ($suite): the chroot could not be prepared"
		failed=$((failed + 1))
		unmount_all
		continue
	fi
	say "PostgreSQL $v in $root"
	rm -rf "$root/plystra"
	copy_tree "$root/plystra"
	rm -f "$root/plystra/.build_flavor"
	chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		PGVERSION="$v" ${PLYSTRA_TEST_PORT:+PLYSTRA_TEST_PORT=$PLYSTRA_TEST_PORT} \
		bash -c "bash /plystra/$command" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	# what the suite wrote in the chroot's /tmp, kept next to the chroots:
	# the logs, pg_regress's results and differences
	out=$chroots/pg$v.out
	rm -rf "$out"
	mkdir -p "$out"
	for d in "$root"/tmp/plystra-test.*; do
		[ -d "$d" ] || continue
		cp -a "$d/logs" "$out/" 2>/dev/null
		cp -a "$d/src/results" "$out/" 2>/dev/null
		cp -a "$d/src/regression.diffs" "$out/" 2>/dev/null
	done
	unmount_all
	last=$(tail -n 1 "$log")
	ok=0
	bad=1
	if [ "$command" != test/run.sh ]; then
		ok=$((rc == 0))
		bad=$((rc != 0))
	elif [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		ok=${BASH_REMATCH[1]}
		bad=${BASH_REMATCH[2]}
		[ "$rc" -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
	summary="$summary
PostgreSQL $v ($suite): $ok passed, $bad failed in $(($(date +%s) - start)) s (log $log, outputs $out)"
done

echo "$summary" | sed '/^$/d'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
