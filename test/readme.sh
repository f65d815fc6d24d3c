#!/usr/bin/env bash
# test/readme.sh - README's every command runs as printed.  Extracts each
# fenced block tagged sh or sql from README.md and runs them in README's
# order against a throwaway cluster, stopping at the first that fails.
#
# A README example is written for a DBA's machine; the runner substitutes
# only what a throwaway cluster must change:
#   - connection: PGHOST, PGPORT and PGUSER=postgres name the cluster (no
#     TCP listener), DATABASE_URL its database mydb, and "host=db.internal "
#     in a conninfo string is dropped; the database mydb exists (README's
#     examples call your database so), and so does legacy, with the
#     extension at 1.1 (README's upgrade examples update it); PATH starts
#     with the server's bindir, as README says to set it up;
#   - version: /usr/lib/postgresql/15/ and the package names postgresql-15,
#     postgresql-server-dev-15 name the version under test ($PGVERSION);
#     "apt-get install -y" gets --no-upgrade, so a test never upgrades the
#     machine's packages (what the suite needs is installed already);
#   - /var/backups/postgresql is a directory of the run, which postgres owns.
#
# How a block runs is said by a comment on the line before its fence,
# <!-- test: OPTIONS -->, invisible in the rendered README:
#   as=root       the shell block runs as root in the checkout (it builds and
#                 installs); otherwise shell blocks run as postgres in a
#                 scratch directory that holds the application's migrations/
#                 (test/fixtures/readme_app), with bash -e -o pipefail
#   in=checkout   a postgres shell block runs in a copy of the checkout
#   user=ROLE     the role to connect as (default postgres)
#   db=NAME       the database of an SQL block (default mydb); SQL blocks run
#                 with psql -X -v ON_ERROR_STOP=1
#   exit=N        the exit status the shell block must end with (default 0)
# README's first block, its two opening commands, is run so: the first (the
# main job) on a cluster of its own; the second, the whole suite, is what
# .ci/run runs, which this checks (it cannot run the suite it is part of).
# Fences tagged neither sh nor sql must be untagged or "text" (output, a
# synopsis), so that no command hides under another tag.
#
# Usage: bash test/readme.sh   (as root; test/run.sh runs it)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/test/lib.sh"

PORT=${PLYSTRA_README_PORT:-54332}
[ "$(id -u)" -eq 0 ] || die "run as root: README's install blocks run as root"
ensure_packages
command -v jq >/dev/null || die "jq is missing (README's --json example pipes into it)"

work=$(pg_workdir readme)
trap 'stop_cluster "$work"; stop_cluster "$work/quickstart"' EXIT
copy_tree "$work/src"
pg_dir "$work/blocks" "$work/backups" "$work/app"
cp -R "$top/test/fixtures/readme_app/." "$work/app/"
chown -R postgres: "$work/app"

# the blocks, substituted, as NNN.sh or NNN.sql with NNN.opts and NNN.line
perl - "${PLYSTRA_README:-$top/README.md}" "$work/blocks" "$PGVERSION" "$work/backups" <<'PERL' || die "README could not be read"
use strict;
use warnings;
my ($readme, $out, $version, $backups) = @ARGV;
open(my $fh, '<', $readme) or die "$readme: $!";
my @lines = <$fh>;
close $fh;
my ($n, $bad, $prev) = (0, 0, '');
for (my $i = 0; $i < @lines; $i++)
{
	my $line = $lines[$i];
	if ($line =~ /^(\s*)```\s*(\S*)\s*$/)
	{
		my ($indent, $tag) = ($1, $2);
		my $start = $i + 1;
		my @body;
		for ($i++; $i < @lines && $lines[$i] !~ /^\s*```\s*$/; $i++)
		{
			(my $l = $lines[$i]) =~ s/^\Q$indent\E//;
			push @body, $l;
		}
		die "README.md:$start: fence not closed\n" if $i >= @lines;
		if ($tag ne 'sh' && $tag ne 'sql')
		{
			if ($tag ne '' && $tag ne 'text')
			{
				print STDERR "README.md:$start: a block tagged '$tag' (tag commands sh or sql, output text)\n";
				$bad++;
			}
			$prev = '';
			next;
		}
		my $opts = $prev =~ /<!--\s*test:\s*(.*?)\s*-->/ ? $1 : '';
		my $text = join('', @body);
		$text =~ s{/usr/lib/postgresql/15/}{/usr/lib/postgresql/$version/}g;
		$text =~ s/\bpostgresql-15\b/postgresql-$version/g;
		$text =~ s/\bpostgresql-server-dev-15\b/postgresql-server-dev-$version/g;
		$text =~ s/apt-get install -y /apt-get install -y --no-upgrade /g;
		$text =~ s{/var/backups/postgresql}{$backups}g;
		$text =~ s/host=db\.internal //g;
		$n++;
		my $base = sprintf('%s/%03d', $out, $n);
		for ([ "$base.$tag", $text ], [ "$base.opts", "$opts\n" ], [ "$base.line", "$start\n" ])
		{
			open(my $o, '>', $_->[0]) or die "$_->[0]: $!";
			print $o $_->[1];
			close $o;
		}
		$prev = '';
		next;
	}
	$prev = $line if $line =~ /\S/;
}
die "$bad badly tagged blocks\n" if $bad;
die "no blocks found\n" unless $n;
PERL
chown -R postgres: "$work/blocks"

start_cluster "$work" "$PORT"
pgenv=(PGHOST="$work" PGPORT="$PORT" PGUSER=postgres
	DATABASE_URL="postgresql:///mydb?host=$work&port=$PORT")
as_pg env "${pgenv[@]}" createdb mydb
as_pg env "${pgenv[@]}" createdb legacy
as_pg env "${pgenv[@]}" psql -X -q -v ON_ERROR_STOP=1 -d legacy -c "CREATE EXTENSION plystra VERSION '1.1'"

# opt NAME DEFAULT: the value of option NAME of the current block
opt() {
	local v
	v=$(tr ' ' '\n' <"$base.opts" | sed -n "s/^$1=//p" | head -n 1)
	echo "${v:-$2}"
}

ran=0
for base in $(ls "$work"/blocks/*.opts | sed 's/\.opts$//'); do
	line=$(cat "$base.line")
	opts=$(cat "$base.opts")
	user=$(opt user postgres)
	if [ -f "$base.sql" ]; then
		say "README.md:$line: sql as $user in $(opt db mydb)"
		as_pg env "${pgenv[@]}" psql -X -v ON_ERROR_STOP=1 -U "$user" -d "$(opt db mydb)" \
			-f "$base.sql" || die "README.md:$line: the SQL block failed"
	elif [ "$base" = "$work/blocks/001" ]; then
		say "README.md:$line: the opening commands"
		main=$(sed -n '1s/ *#.*//p' "$base.sh")
		suite=$(sed -n '2s/ *#.*//p' "$base.sh")
		[ "$(sed '/^$/d' "$base.sh" | wc -l)" -eq 2 ] || die "README.md:$line: two commands expected"
		grep -qxF "exec $suite 15 17 18" "$top/.ci/run" ||
			die "README.md:$line: .ci/run does not run '$suite 15 17 18'"
		(cd "$top" && PLYSTRA_QUICKSTART_DIR="$work/quickstart" \
			PLYSTRA_QUICKSTART_PORT=$((PORT + 1)) bash -c "$main") ||
			die "README.md:$line: '$main' failed"
	else
		want=$(opt exit 0)
		if [[ " $opts " == *" as=root "* ]]; then
			say "README.md:$line: sh as root in the checkout"
			rc=0
			(cd "$top" && env PATH="$PGBIN:$PATH" "${pgenv[@]}" bash -e -o pipefail "$base.sh") || rc=$?
		else
			dir=$work/app
			[[ " $opts " == *" in=checkout "* ]] && dir=$work/src
			say "README.md:$line: sh as $user in $( [ "$dir" = "$work/app" ] && echo 'the application' || echo 'the checkout')"
			rc=0
			(cd "$dir" && runuser -u postgres -- env PATH="$PGBIN:$PATH" "${pgenv[@]}" PGUSER="$user" \
				bash -e -o pipefail "$base.sh") || rc=$?
		fi
		[ "$rc" -eq "$want" ] || die "README.md:$line: the shell block exited $rc, not $want"
	fi
	ran=$((ran + 1))
done
say "$ran blocks of README.md ran as printed"
