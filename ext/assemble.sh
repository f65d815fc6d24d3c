#!/bin/sh
# ext/assemble.sh - build plystra's version scripts and the C list of
# migrations from migrations/*.sql and the pinned list migrations.lst.
#
#   assemble.sh SRCDIR header LIBVERSION    C header for src/builtin_migrations.c
#   assemble.sh SRCDIR script V             install script plystra--V.sql
#   assemble.sh SRCDIR script V1 V2         upgrade script plystra--V1--V2.sql
#   assemble.sh SRCDIR full V               full install script plystra--V.sql
#   assemble.sh SRCDIR scripts FILE...      C table of the built scripts'
#                                           checksums, for src/install.c
#
# A version script is ext/<script>.pre.sql, then every migration that the
# list assigns to the target version, each handed byte for byte to
# plystra._migrate_builtin() as a dollar-quoted literal, then
# ext/<script>.post.sql.  The full script of the current version is
# written from the current definitions instead, one file per concern in
# ext/defs/: bootstrap.sql, every migration up to that version, then the
# files of DEFS below, then the manifest.  An upgrade script states what
# changed; the upgrade matrix (test/t/001_upgrade_matrix.pl) proves that a
# fresh install and every update path leave the same database.
#
# In ext/defs/ and in the pre and post files a line "@helper args" is
# expanded with the helpers of ext/defs/wiring.sql (how a table's triggers
# and view options are wired).  Released files hold no such line, so their
# scripts come out byte for byte as released.
#
# Before it writes anything it checks every migration file against the
# checksum pinned in the list, so an edited released migration stops the
# build.
set -eu

srcdir=$1
mode=$2
shift 2
list=$srcdir/migrations/migrations.lst
tag='$plystra_migration$'

die() {
	echo "assemble.sh: $*" >&2
	exit 1
}

# The list without comments and blank lines: "version name checksum".
entries() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list"
}

check_all() {
	prev=
	entries | while read -r version name checksum extra; do
		[ -z "$extra" ] || die "$list: malformed line for $name"
		f=$srcdir/migrations/$name.sql
		[ -f "$f" ] || die "$name is listed but $f does not exist"
		[ -z "$prev" ] || [ "$(printf '%s\n%s\n' "$prev" "$name" | LC_ALL=C sort | head -n 1)" = "$prev" ] ||
			die "$name is listed after $prev but sorts before it"
		prev=$name
		if LC_ALL=C grep -q "$(printf '\r')" "$f"; then
			die "$f contains a carriage return: migrations are stored with LF line ends"
		fi
		if LC_ALL=C grep -q '[^[:print:][:space:]]' "$f"; then
			die "$f contains bytes outside printable ASCII"
		fi
		if grep -qF "$tag" "$f" || grep -q '@extschema\|@extowner' "$f"; then
			die "$f contains text the extension script cannot carry ($tag or @ext...@)"
		fi
		if grep -q '^\\' "$f"; then
			die "$f contains a psql meta-command"
		fi
		actual=sha256:$(sha256sum "$f" | cut -d' ' -f1)
		[ "$actual" = "$checksum" ] ||
			die "$f has checksum $actual but migrations.lst pins $checksum: released migrations are never edited; ship a new migration instead"
	done
	for f in "$srcdir"/migrations/*.sql; do
		n=$(basename "$f" .sql)
		entries | awk -v n="$n" '$2 == n { found = 1 } END { exit !found }' ||
			die "$f is not listed in migrations.lst"
	done
}

# The concerns of the current definitions, in the order the full script
# runs them (each may use what an earlier one defines).
DEFS="audit ddl_guard soft_delete interface entities migrations deleted catalog_facts doctor operations grants"

# A file with its "@helper args" lines expanded (see ext/defs/wiring.sql).
expand() {
	# "@include name" lines first: ext/defs/name.sql, for an upgrade script
	# whose change is a whole file of current definitions
	awk -v defs="$srcdir/ext/defs" '
		/^@include [a-z_]+$/ {
			f = defs "/" $2 ".sql"
			if ((getline line < f) <= 0) {
				printf "assemble.sh: %s:%d: cannot include %s\n", FILENAME, FNR, f > "/dev/stderr"
				exit 1
			}
			do print line; while ((getline line < f) > 0)
			close(f)
			next
		}
		{ print }
	' "$1" >"$tmpdir/expand.in" || die "expanding $1 failed"
	awk -v wiring="$srcdir/ext/defs/wiring.sql" '
		function fail(msg) {
			printf "assemble.sh: %s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
			failed = 1
			exit 1
		}
		FILENAME == wiring && /^@define [a-z_]+$/ { name = $2; body = ""; indef = 1; next }
		FILENAME == wiring && indef && /^@end$/ { helper[name] = body; indef = 0; next }
		FILENAME == wiring && indef { body = body $0 "\n"; next }
		FILENAME == wiring { next }
		/^@/ {
			h = substr($1, 2)
			if (!(h in helper))
				fail("unknown helper @" h)
			if (NF < 2)
				fail("@" h " needs a table")
			rest = $0
			sub(/^@[a-z_]+[ \t]+[^ \t]+[ \t]*/, "", rest)
			b = helper[h]
			gsub(/\$1/, $2, b)
			gsub(/\$\*/, rest, b)
			printf "%s", b
			next
		}
		{ print }
		END { if (indef && !failed) { printf "assemble.sh: %s: @define %s has no @end\n", wiring, name > "/dev/stderr"; exit 1 } }
	' "$srcdir/ext/defs/wiring.sql" "$tmpdir/expand.in"
}

# The migrations of version $2 ($1 = only), or of every version up to $2
# ($1 = upto), each handed to plystra._migrate_builtin().
emit_migrations() {
	entries | while read -r version name checksum; do
		case $1 in
		only) [ "$version" = "$2" ] || continue ;;
		upto) [ "$(printf '%s\n%s\n' "$version" "$2" | sort -V | tail -n 1)" = "$2" ] || continue ;;
		esac
		printf '\n-- migration %s (%s)\n' "$name" "$checksum"
		printf "SELECT plystra._migrate_builtin('%s', %s" "$name" "$tag"
		cat "$srcdir/migrations/$name.sql"
		printf '%s);\n' "$tag"
	done
}

# ext/<base>.pre.sql, the migrations of version $2, ext/<base>.post.sql
emit_script() {
	[ -f "$srcdir/ext/$1.pre.sql" ] || die "no $srcdir/ext/$1.pre.sql"
	expand "$srcdir/ext/$1.pre.sql"
	emit_migrations only "$2"
	if [ -f "$srcdir/ext/$1.post.sql" ]; then
		echo
		expand "$srcdir/ext/$1.post.sql"
	fi
}

tmpdir=$(mktemp -d)
trap 'rm -rf "$tmpdir"' EXIT
check_all

case $mode in
header)
	libversion=$1
	echo "/* generated by ext/assemble.sh from migrations/migrations.lst: do not edit */"
	echo "#define PLYSTRA_LIBRARY_VERSION \"$libversion\""
	echo "static const BuiltinMigration builtin_migrations[] = {"
	entries | while read -r version name checksum; do
		printf '\t{"%s", "%s", "%s"},\n' "$name" "$version" "$checksum"
	done
	echo "};"
	;;
scripts)
	echo "/* generated by ext/assemble.sh from the built scripts: do not edit */"
	echo "static const BuiltScript built_scripts[] = {"
	for f in "$@"; do
		printf '\t{"%s", "sha256:%s"},\n' "$(basename "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
	done
	echo "};"
	;;
script)
	if [ $# -eq 1 ]; then
		emit_script plystra--$1 "$1"
	else
		emit_script plystra--$1--$2 "$2"
	fi
	;;
full)
	[ $# -eq 1 ] || die "full needs the version"
	v=$1
	printf '/*\n * plystra--%s.sql\n' "$v"
	printf ' *\t  Install script of plystra %s: the current definitions of every\n' "$v"
	printf ' *\t  concern and every migration up to %s.\n' "$v"
	printf ' *\n * Assembled by ext/assemble.sh from ext/defs/ and migrations/.  Edit those,\n'
	printf ' * never the assembled file.\n */\n\n'
	printf -- '-- complain if script is sourced in psql, rather than via CREATE EXTENSION\n'
	printf '\\echo Use "CREATE EXTENSION plystra" to load this file. \\quit\n'
	expand "$srcdir/ext/defs/bootstrap.sql" | sed "s/@script@/plystra--$v.sql/g"
	emit_migrations upto "$v"
	for d in $DEFS; do
		echo
		expand "$srcdir/ext/defs/$d.sql"
	done
	printf '\n-- last: what version %s defines, for drift_check()\n' "$v"
	printf "SELECT plystra._record_manifest('%s');\n" "$v"
	printf '\n-- end of plystra--%s.sql\n' "$v"
	;;
*)
	die "unknown mode $mode"
	;;
esac
